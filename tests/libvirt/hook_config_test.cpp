// /etc/memdomain/hook.conf: its format, defaults and every error with its
// line; and which devices of a domain XML are memdomains (vm_devices.h),
// the shipped examples included.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hook_config.h"
#include "server_fixture.h"
#include "vm_devices.h"

namespace memdomain::hook {
namespace {

TEST(HookConfig, NoFileMeansTheDefaults) {
    auto c = load_hook_config("/nonexistent/hook.conf");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->socket_dir, "/run/memdomain");
    EXPECT_EQ(c->timeout, std::chrono::milliseconds(5000));
}

TEST(HookConfig, KeysCommentsAndBlanks) {
    auto c = parse_hook_config("# a comment\n\n  socket_dir = /srv/md/   # trailing comment\ntimeout=500ms\n", "h");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->socket_dir, "/srv/md");
    EXPECT_EQ(c->timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(parse_hook_config("timeout = 2s\n", "h")->timeout, std::chrono::milliseconds(2000));
}

TEST(HookConfig, EveryErrorNamesFileAndLine) {
    const std::pair<const char*, const char*> bad[] = {
        {"socket_dir = run/md\n", "h:1: socket_dir must be an absolute directory"},
        {"\nsocketdir = /x\n", "h:2: unknown key 'socketdir' (keys: socket_dir, timeout)"},
        {"timeout = 5\n", "h:1: timeout is a duration from 100ms to 60s"},
        {"timeout = 10ms\n", "h:1: timeout is a duration"},
        {"timeout = 2m\n", "h:1: timeout is a duration"},
        {"socket_dir /x\n", "h:1: expected 'key = value'"},
        {"socket_dir = /a\nsocket_dir = /b\n", "h:2: 'socket_dir' is set twice"},
    };
    for (const auto& [text, phrase] : bad) {
        auto c = parse_hook_config(text, "h");
        ASSERT_FALSE(c) << text;
        EXPECT_EQ(c.error().message.rfind(phrase, 0), 0u) << c.error().message;
    }
}

TEST(HookConfig, TheShippedExampleIsTheDefaults) {
    auto c = load_hook_config(MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/examples/hook.conf");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->socket_dir, HookConfig{}.socket_dir);
    EXPECT_EQ(c->timeout, HookConfig{}.timeout);
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(VmDevices, TheExamplesUseMainMemReadWriteAndReadOnly) {
    for (const char* vm : {"web1", "web2"}) {
        auto d = memdomain_devices(read(std::string(MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/examples/") + vm + ".xml"),
                                   "/run/memdomain");
        ASSERT_TRUE(d) << d.error().message;
        ASSERT_EQ(d->uses.size(), 1u) << vm;
        EXPECT_EQ(d->uses[0].domain, "MainMem");
        EXPECT_EQ(d->uses[0].access, SegmentAccess::ReadWrite);
        EXPECT_TRUE(d->problems.empty());
    }
    auto probe = memdomain_devices(read(MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/examples/probe.xml"), "/run/memdomain");
    ASSERT_TRUE(probe) << probe.error().message;
    ASSERT_EQ(probe->uses.size(), 1u);
    EXPECT_EQ(probe->uses[0].access, SegmentAccess::ReadOnly);
    EXPECT_TRUE(probe->problems.empty());
}

TEST(VmDevices, OnlyPathsInTheSocketDirectoryAreMemdomains) {
    const std::string xml =
        "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices>"
        "<shmem name='a'><server path='/run/md/A.sock'/></shmem>"
        "<shmem name='b'><server path='/run/md/sub/B.sock'/></shmem>"
        "<shmem name='c'><server path='/run/mdx/C.sock'/></shmem>"
        "<shmem name='d'><server path='/run/md/control.sock'/></shmem>"
        "<shmem name='e'><server path='/run/md/E@x.sock'/></shmem>"
        "<shmem name='f'><server path='/run/md/F@2.sock'/></shmem>"
        "</devices><qemu:commandline>"
        "<qemu:arg value='-chardev'/><qemu:arg value='socket,id=x,path=/run/md/G.sock'/>"
        "<qemu:arg value='-object'/><qemu:arg value='memory-backend-file,id=y,mem-path=/run/md/ns/H@1,readonly=on'/>"
        "<qemu:arg value='-object'/><qemu:arg value='memory-backend-ram,id=z,size=1M'/>"
        "</qemu:commandline></domain>";
    auto d = memdomain_devices(xml, "/run/md");
    ASSERT_TRUE(d) << d.error().message;
    std::vector<std::string> names;
    for (const auto& u : d->uses) names.push_back(u.domain + (u.access == SegmentAccess::ReadWrite ? ":rw" : ":ro"));
    EXPECT_EQ(names, (std::vector<std::string>{"A:rw", "F:rw", "G:rw", "H:ro"}));
}

}  // namespace
}  // namespace memdomain::hook
