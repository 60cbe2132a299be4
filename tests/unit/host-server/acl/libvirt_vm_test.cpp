// libvirt_vm_of: a real process is taken for VM <vm> only when a root-owned
// <vm>.pid that nobody else can write names it, libvirt's status file is
// next to it, and the process is not younger than the pid file; each broken
// condition is refused with a note for the log. Root is needed to make files
// owned by someone else (CI runs as root).
#include "acl/libvirt_vm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "process.h"
#include "server_fixture.h"

namespace memdomain::server {
namespace {

using test::Process;
using test::TempDir;

class LibvirtVmOf : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0u) << "these tests make files owned by other users: run them as root (CI does)";
        ::chmod(dir_.path().c_str(), 0755);
        qemu_ = Process({"/bin/sleep", "60"}, {});
        ASSERT_GT(qemu_.pid(), 0);
        // libvirt writes the pid file after the fork: so do we.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        write("web1.pid", std::to_string(qemu_.pid()) + "\n");
        write("web1.xml", "<domstatus/>");
    }
    void write(const std::string& name, const std::string& text, mode_t mode = 0644) {
        const std::string p = dir_.file(name);
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
    }
    // Sets a file's mtime `seconds` into the past.
    void age(const std::string& name, int seconds) {
        timespec times[2];
        ::clock_gettime(CLOCK_REALTIME, &times[0]);
        times[0].tv_sec -= seconds;
        times[1] = times[0];
        ASSERT_EQ(::utimensat(AT_FDCWD, dir_.file(name).c_str(), times, 0), 0);
    }
    VmLookup lookup() { return libvirt_vm_of(qemu_.pid(), dir_.path()); }

    TempDir dir_;
    Process qemu_;
};

TEST_F(LibvirtVmOf, TheProcessARootPidFileNamesIsThatVm) {
    const VmLookup r = lookup();
    ASSERT_TRUE(r.vm) << r.note;
    EXPECT_EQ(*r.vm, "web1");
    EXPECT_TRUE(r.note.empty()) << r.note;
}

TEST_F(LibvirtVmOf, AProcessNoPidFileNamesIsNoVmAndNothingToSay) {
    Process other({"/bin/sleep", "60"}, {});
    const VmLookup r = libvirt_vm_of(other.pid(), dir_.path());
    EXPECT_FALSE(r.vm);
    EXPECT_TRUE(r.note.empty()) << r.note;
}

TEST_F(LibvirtVmOf, APidFileOlderThanTheProcessMeansAReusedPid) {
    age("web1.pid", 30);
    const VmLookup r = lookup();
    EXPECT_FALSE(r.vm) << "a process that started after its pid file was written is not that VM's QEMU";
    EXPECT_NE(r.note.find("reuses the pid"), std::string::npos) << r.note;
}

TEST_F(LibvirtVmOf, APidFileSomeoneElseCanWriteIsNotTrusted) {
    ::chmod(dir_.file("web1.pid").c_str(), 0664);
    const VmLookup r = lookup();
    EXPECT_FALSE(r.vm);
    EXPECT_NE(r.note.find("root-owned"), std::string::npos) << r.note;
}

TEST_F(LibvirtVmOf, APidFileNotOwnedByRootIsNotTrusted) {
    ASSERT_EQ(::chown(dir_.file("web1.pid").c_str(), 65534, 65534), 0);
    const VmLookup r = lookup();
    EXPECT_FALSE(r.vm) << "QEMU's own user could have written it";
    EXPECT_NE(r.note.find("root-owned"), std::string::npos) << r.note;
}

TEST_F(LibvirtVmOf, ASymlinkedPidFileIsNotTrusted) {
    write("real.txt", std::to_string(qemu_.pid()));
    ::unlink(dir_.file("web1.pid").c_str());
    ASSERT_EQ(::symlink(dir_.file("real.txt").c_str(), dir_.file("web1.pid").c_str()), 0);
    EXPECT_FALSE(lookup().vm);
}

TEST_F(LibvirtVmOf, APidFileWithoutLibvirtsStatusFileIsNoRunningVm) {
    ::unlink(dir_.file("web1.xml").c_str());
    const VmLookup r = lookup();
    EXPECT_FALSE(r.vm) << "libvirtd's own driver.pid has no status file either";
    EXPECT_NE(r.note.find("not a running VM"), std::string::npos) << r.note;
}

TEST_F(LibvirtVmOf, ARunDirectoryOthersCanWriteIsNotTrusted) {
    ::chmod(dir_.path().c_str(), 0777);
    const VmLookup r = lookup();
    EXPECT_FALSE(r.vm);
    EXPECT_NE(r.note.find("not a directory owned and writable by root only"), std::string::npos) << r.note;
}

TEST_F(LibvirtVmOf, ANonRootRunDirectoryIsNotTrusted) {
    ASSERT_EQ(::chown(dir_.path().c_str(), 65534, 65534), 0);
    EXPECT_FALSE(lookup().vm);
}

TEST_F(LibvirtVmOf, NoRunDirectoryMeansNoLibvirtAndNothingToSay) {
    const VmLookup r = libvirt_vm_of(qemu_.pid(), dir_.file("absent"));
    EXPECT_FALSE(r.vm);
    EXPECT_TRUE(r.note.empty()) << r.note;
    EXPECT_FALSE(libvirt_vm_of(qemu_.pid(), "").vm);
}

TEST_F(LibvirtVmOf, GarbageInAPidFileIsNeverAMatch) {
    write("web1.pid", "not a pid " + std::to_string(qemu_.pid()) + "\n");
    EXPECT_FALSE(lookup().vm);
    write("web1.pid", std::string(4096, '7'));
    EXPECT_FALSE(lookup().vm);
}

}  // namespace
}  // namespace memdomain::server
