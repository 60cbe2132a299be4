// The attach examples in qemu-config/ cannot rot: each shipped example must
// equal its template rendered for the default socket, render.sh must render
// what this test renders, and QEMU started with each example (rendered for a
// test server's socket) must join the domain.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "host_peer.h"
#include "qemu_guest.h"
#include "server_fixture.h"
#include "server_with_host_peer.h"

#ifndef MEMDOMAIN_QEMU_CONFIG_DIR
#error "MEMDOMAIN_QEMU_CONFIG_DIR must point at qemu-config/"
#endif

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfigDir = MEMDOMAIN_QEMU_CONFIG_DIR;
constexpr char kDomain[] = "MainMem";  // the domain the examples name

// What render.sh substitutes; the defaults are what the shipped examples hold.
struct Values {
    std::string socket = "/run/memdomain/MainMem.sock";
    std::string ns = "/run/memdomain/ns/MainMem";
    std::string size = "64M";
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

std::string render(const std::string& text, const Values& v) {
    return replace_all(replace_all(replace_all(text, "@MEMDOMAIN_SOCKET@", v.socket), "@MEMDOMAIN_NS@", v.ns),
                       "@MEMDOMAIN_SIZE@", v.size);
}

std::string template_text(const std::string& example) { return read_file(kConfigDir + "/" + example + ".in"); }

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

class QemuConfigExamples : public ::testing::TestWithParam<const char*> {};

TEST_P(QemuConfigExamples, ShippedExampleEqualsTemplateRenderedForDefaultSocket) {
    const std::string name = GetParam();
    const std::string tmpl = template_text(name);
    ASSERT_NE(tmpl.find("@MEMDOMAIN_"), std::string::npos) << name << ".in has no placeholder";
    EXPECT_EQ(read_file(kConfigDir + "/" + name), render(tmpl, Values{}))
        << "regenerate with: qemu-config/render.sh qemu-config/" << name << ".in > qemu-config/" << name;
}

TEST_P(QemuConfigExamples, RenderScriptOutputEqualsTestRendering) {
    const std::string name = GetParam();
    TempDir dir;
    Values v{dir.file("Some.Domain-1.sock"), dir.file("ns/Some.Domain-1@1"), "2M"};
    Process::Options o;
    o.log_path = dir.file("out");
    Process p({"/bin/sh", kConfigDir + "/render.sh", kConfigDir + "/" + name + ".in", "SOCKET=" + v.socket,
               "NS=" + v.ns, "SIZE=" + v.size},
              o);
    auto st = p.wait(10s);
    ASSERT_TRUE(st) << "render.sh did not finish";
    ASSERT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << read_file(o.log_path);
    EXPECT_EQ(read_file(o.log_path), render(template_text(name), v));
}

// One instance per shipped example; '.' and '-' are not allowed in test names.
INSTANTIATE_TEST_SUITE_P(Examples, QemuConfigExamples,
                         ::testing::Values("doorbell.cfg", "doorbell.args", "doorbell-q35-iommu.args",
                                           "readonly-plain.args"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (c == '.' || c == '-') c = '_';
                             return n;
                         });

class QemuConfigExampleAttach : public ServerWithHostPeer {
protected:
    void SetUp() override {
        MD_SKIP_WITHOUT_QEMU();
        ASSERT_NO_FATAL_FAILURE(start_server(domain_config(kDomain, "1MB", 2), kDomain));
    }

    // Starts QEMU with `args` and expects it to join with 2 eventfds, quietly.
    void expect_joins(const std::vector<std::string>& args, const std::string& machine = "pc") {
        QemuGuestOptions o;
        o.machine = machine;
        o.work_dir = dir_.path();
        o.name = "example";
        o.args = args;
        o.qtest = false;
        auto vm = QemuGuest::start(o);
        ASSERT_TRUE(vm) << vm.error().message;
        auto id = host_->wait_join(5s);
        ASSERT_TRUE(id) << id.error().message << "\nQEMU: " << (*vm)->process().command_line() << "\nlog:\n"
                        << (*vm)->log();
        ASSERT_TRUE(host_->drain(100ms));
        EXPECT_EQ(host_->eventfd_count(*id), 2u);
        EXPECT_TRUE((*vm)->process().running());
        EXPECT_EQ((*vm)->log(), "");
    }

    TempDir dir_;
};

TEST_F(QemuConfigExampleAttach, ReadconfigExampleJoinsDomain) {
    const std::string cfg = dir_.file("doorbell.cfg");
    std::ofstream(cfg) << render(template_text("doorbell.cfg"), Values{.socket = server_->socket(kDomain)});
    expect_joins({"-readconfig", cfg});
}

TEST_F(QemuConfigExampleAttach, ArgsExampleJoinsDomain) {
    expect_joins(split_words(render(template_text("doorbell.args"), Values{.socket = server_->socket(kDomain)})));
}

// The variant for guests that take interrupts through vfio-pci: q35 with a
// virtual IOMMU (interrupt remapping on).
TEST_F(QemuConfigExampleAttach, Q35IommuExampleJoinsDomain) {
    const Values v{.socket = server_->socket(kDomain)};
    expect_joins(split_words(render(template_text("doorbell-q35-iommu.args"), v)), "q35");
}

// The read-only attach, rendered for the test server's namespace entry: the
// guest sees the domain (header and what the host peer wrote) and its writes
// are dropped. tests/qemu/qemu_readonly_test.cpp covers the path in depth.
TEST_F(QemuConfigExampleAttach, ReadOnlyPlainExampleShowsDomainAndDropsGuestWrites) {
    const std::uint64_t data = host_->header().data_offset;
    std::memcpy(host_->memory() + data, "example!", 8);
    QemuGuestOptions o;
    o.work_dir = dir_.path();
    o.name = "ro";
    o.args = split_words(render(template_text("readonly-plain.args"),
                                Values{.ns = namespace_entry(server_->socket_dir(), kDomain), .size = "1M"}));
    o.device = std::nullopt;  // the example does not fix the slot
    auto vm = QemuGuest::start(o);
    ASSERT_TRUE(vm) << vm.error().message;
    auto& q = (*vm)->qtest();
    const std::uint64_t bar2 = (*vm)->device().bar2();
    auto magic = q.read(bar2, 8);
    ASSERT_TRUE(magic) << magic.error().message;
    EXPECT_EQ(std::string(magic->begin(), magic->end()), "MEMDOMN1");
    auto before = q.read(bar2 + data, 8);
    ASSERT_TRUE(before) << before.error().message;
    ASSERT_EQ(std::string(before->begin(), before->end()), "example!");
    // A write to a read-only backend is dropped without a fault.
    ASSERT_TRUE(q.writeq(bar2 + data, 0x1122334455667788ull));
    EXPECT_EQ(std::memcmp(host_->memory() + data, "example!", 8), 0);
    EXPECT_TRUE((*vm)->process().running()) << (*vm)->log();
    EXPECT_EQ((*vm)->log(), "");
}

}  // namespace
}  // namespace memdomain::test
