// The memory a guest sees through BAR2 is the domain's memory: bytes written
// through the pci transport are read by a socket-transport client of the same
// server, and the other way round.
#include <cstring>
#include <string>

#include "pci_fixture.h"

namespace memdomain::test {
namespace {

std::string pattern(const char* who) { return std::string(who) + " wrote this at " + std::to_string(::getpid()); }

TEST_F(PciTest, DataWrittenThroughPciIsSeenBySocketClient) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    const std::string text = pattern("pci");
    auto* at = static_cast<char*>(pci->data()) + 4096;  // off the start: offsets must agree too
    std::memcpy(at, text.c_str(), text.size() + 1);
    EXPECT_STREQ(static_cast<const char*>(sock->data()) + 4096, text.c_str());
}

TEST_F(PciTest, DataWrittenBySocketClientIsSeenThroughPci) {
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    const std::string text = pattern("socket");
    const std::size_t last = sock->data_size() - text.size() - 1;  // the far end of the data area
    std::memcpy(static_cast<char*>(sock->data()) + last, text.c_str(), text.size() + 1);
    EXPECT_STREQ(static_cast<const char*>(pci->data()) + last, text.c_str());
}

}  // namespace
}  // namespace memdomain::test
