// The example domain XMLs of libvirt-hooks/examples are accepted by libvirt
// (virsh define validates them), so they cannot rot. They are written for a
// real host (type='kvm'); this machine has TCG only, so they are defined as
// type='qemu', the one change.
#include <fstream>

#include "libvirt_fixture.h"

namespace memdomain::test {
namespace {

class LibvirtExamples : public LibvirtTest {};

TEST_F(LibvirtExamples, EveryExampleDomainXmlDefinesInLibvirt) {
    for (const char* vm : {"web1", "web2", "probe"}) {
        const std::string source = std::string(MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/examples/") + vm + ".xml";
        std::string text = read_file(source);
        const std::string kvm = "<domain type='kvm'";
        ASSERT_NE(text.find(kvm), std::string::npos) << source;
        text.replace(text.find(kvm), kvm.size(), "<domain type='qemu'");
        const std::string file = work_->file(std::string(vm) + ".xml");
        std::ofstream(file) << text;
        const CommandResult defined = virt().virsh({"define", file});
        EXPECT_EQ(defined.exit_code, 0) << source << ":\n" << defined.output;
        const CommandResult xml = virt().virsh({"dumpxml", "--inactive", vm});
        EXPECT_NE(xml.output.find(std::string(vm) == "probe" ? "ns/MainMem" : "MainMem.sock"), std::string::npos)
            << "libvirt kept the memdomain device of " << vm << ":\n" << xml.output;
        (void)virt().virsh({"undefine", vm});
    }
}

}  // namespace
}  // namespace memdomain::test
