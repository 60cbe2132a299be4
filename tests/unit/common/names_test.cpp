// Domain name rules and the socket paths derived from names.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "memdomain/common/names.h"

namespace memdomain {
namespace {

TEST(DomainName, LettersDigitsUnderscoreDotDashAreAccepted) {
    for (const char* n : {"A", "MainMem", "a.b-c_d", "0", "x_1.2-3", "...", "Control", "-", "_"})
        EXPECT_TRUE(validate_domain_name(n).has_value()) << n;
}

TEST(DomainName, SixtyThreeCharactersAreAccepted) {
    EXPECT_TRUE(validate_domain_name(std::string(63, 'n')).has_value());
}

TEST(DomainName, SixtyFourCharactersAreRefused) {
    auto st = validate_domain_name(std::string(64, 'n'));
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("longer than 63"), std::string::npos) << st.error().message;
}

TEST(DomainName, EmptyIsRefused) {
    auto st = validate_domain_name("");
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("empty"), std::string::npos);
}

TEST(DomainName, EveryOtherByteIsRefusedAndNamed) {
    for (int c = 0; c < 256; ++c) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                             c == '_' || c == '.' || c == '-';
        if (allowed) continue;
        const std::string name = std::string("ab") + static_cast<char>(c) + "cd";
        auto st = validate_domain_name(name);
        ASSERT_FALSE(st.has_value()) << "byte " << c;
        EXPECT_NE(st.error().message.find("contains"), std::string::npos) << st.error().message;
    }
}

TEST(DomainName, PathSeparatorIsShownInTheMessage) {
    auto st = validate_domain_name("a/b");
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("'/'"), std::string::npos) << st.error().message;
}

TEST(DomainName, DotAndDotDotAreReserved) {
    for (const char* n : {".", ".."}) {
        auto st = validate_domain_name(n);
        ASSERT_FALSE(st.has_value()) << n;
        EXPECT_NE(st.error().message.find("reserved"), std::string::npos);
    }
}

TEST(DomainName, ControlIsReservedForTheControlSocket) {
    auto st = validate_domain_name("control");
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("control socket"), std::string::npos);
}

TEST(DomainSocketPath, SegmentZeroIsNameDotSock) {
    EXPECT_EQ(domain_socket_path("/run/memdomain", "MainMem"), "/run/memdomain/MainMem.sock");
}

TEST(DomainSocketPath, TrailingSlashIsNotDoubled) {
    EXPECT_EQ(domain_socket_path("/run/memdomain/", "A"), "/run/memdomain/A.sock");
}

TEST(DomainSocketPath, LaterSegmentsGetAtIndex) {
    EXPECT_EQ(domain_socket_path("/d", "A", 1), "/d/A@1.sock");
    EXPECT_EQ(domain_socket_path("/d", "A", 15), "/d/A@15.sock");
}

TEST(DomainSocketPath, NoDomainNameCollidesWithControlSocket) {
    EXPECT_EQ(std::string("control.sock"), kControlSocketName);
    EXPECT_FALSE(validate_domain_name("control").has_value());
}

class SocketDirEnv : public ::testing::Test {
protected:
    void SetUp() override {
        if (const char* v = std::getenv("MEMDOMAIN_SOCKET_DIR")) saved_ = v;
    }
    void TearDown() override {
        if (saved_)
            ::setenv("MEMDOMAIN_SOCKET_DIR", saved_->c_str(), 1);
        else
            ::unsetenv("MEMDOMAIN_SOCKET_DIR");
    }
    std::optional<std::string> saved_;
};

TEST_F(SocketDirEnv, ExplicitDirectoryWinsOverEnvironment) {
    ::setenv("MEMDOMAIN_SOCKET_DIR", "/from/env", 1);
    EXPECT_EQ(resolve_socket_dir("/explicit"), "/explicit");
}

TEST_F(SocketDirEnv, EnvironmentWinsOverDefault) {
    ::setenv("MEMDOMAIN_SOCKET_DIR", "/from/env", 1);
    EXPECT_EQ(resolve_socket_dir(), "/from/env");
}

TEST_F(SocketDirEnv, EmptyEnvironmentFallsBackToDefault) {
    ::setenv("MEMDOMAIN_SOCKET_DIR", "", 1);
    EXPECT_EQ(resolve_socket_dir(), std::string(kDefaultSocketDir));
    ::unsetenv("MEMDOMAIN_SOCKET_DIR");
    EXPECT_EQ(resolve_socket_dir(), "/run/memdomain");
}

}  // namespace
}  // namespace memdomain
