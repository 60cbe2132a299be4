// libvirt-hooks/install.sh into a scratch root (--root): installs the hook as
// etc/libvirt/hooks/qemu.d/memdomain, leaves a user's own hooks/qemu and
// hook.conf alone, writes hook.conf only with --socket-dir, and --uninstall
// removes exactly what it installed.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libvirt_sandbox.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

CommandResult install(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/install.sh", "--hook", MEMDOMAIN_HOOK_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

bool executable(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) == 0111;
}

TEST(InstallScript, InstallsIntoQemuDLeavingTheUsersOwnHookAlone) {
    TempDir root;
    const std::string hooks = root.file("etc/libvirt/hooks");
    std::filesystem::create_directories(hooks);
    std::ofstream(hooks + "/qemu") << "#!/bin/sh\n# the user's own\n";
    CommandResult r = install({"--root", root.path()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(executable(hooks + "/qemu.d/memdomain"));
    EXPECT_EQ(read_file(hooks + "/qemu.d/memdomain"), read_file(MEMDOMAIN_HOOK_PATH));
    EXPECT_EQ(read_file(hooks + "/qemu"), "#!/bin/sh\n# the user's own\n");
    EXPECT_NE(r.output.find("left as it is"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(root.file("etc/memdomain/hook.conf"))) << "no --socket-dir, no hook.conf";
    r = install({"--root", root.path(), "--uninstall"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FALSE(std::filesystem::exists(hooks + "/qemu.d/memdomain"));
    EXPECT_EQ(read_file(hooks + "/qemu"), "#!/bin/sh\n# the user's own\n");
}

TEST(InstallScript, SocketDirWritesItsHookConfAndUninstallRemovesOnlyThat) {
    TempDir root;
    CommandResult r = install({"--root", root.path(), "--socket-dir", "/srv/memdomain"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string conf = root.file("etc/memdomain/hook.conf");
    EXPECT_NE(read_file(conf).find("\nsocket_dir = /srv/memdomain\n"), std::string::npos) << read_file(conf);
    ASSERT_EQ(install({"--root", root.path(), "--uninstall"}).exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(conf));
}

TEST(InstallScript, AUsersOwnHookConfIsNeverOverwrittenOrRemoved) {
    TempDir root;
    std::filesystem::create_directories(root.file("etc/memdomain"));
    const std::string conf = root.file("etc/memdomain/hook.conf");
    std::ofstream(conf) << "socket_dir = /mine\n";
    CommandResult r = install({"--root", root.path(), "--socket-dir", "/srv/memdomain"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("was not written by install.sh"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(root.file("etc/libvirt/hooks/qemu.d/memdomain"))) << "nothing half-done";
    ASSERT_EQ(install({"--root", root.path()}).exit_code, 0);
    ASSERT_EQ(install({"--root", root.path(), "--uninstall"}).exit_code, 0);
    EXPECT_EQ(read_file(conf), "socket_dir = /mine\n");
}

TEST(InstallScript, AMissingHookBinaryOrBadArgumentFails) {
    TempDir root;
    CommandResult r = run_command({MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/install.sh", "--hook", root.file("nope"),
                                   "--root", root.path()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("no hook binary found"), std::string::npos) << r.output;
    EXPECT_EQ(run_command({MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/install.sh", "--bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace memdomain::test
