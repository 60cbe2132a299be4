// persist/notify.h: what memdomain sends a service manager, through
// libsystemd, read back on a socket this test binds as the manager's; and
// the one parser of those messages (memdomain-keeper's).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>

#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "persist/notify.h"
#include "fake_manager.h"

using namespace memdomain;
using namespace memdomain::persist;
using test::FakeManager;
using test::ScopedEnv;

TEST(Notify, ReadyGoesToTheNotifySocketWithOurCredentials) {
    FakeManager m;
    ASSERT_TRUE(m.sock.valid());
    ScopedEnv env("NOTIFY_SOCKET", m.name.c_str());
    auto sent = notify(kReady);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_TRUE(*sent);
    auto d = m.receive();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->text, "READY=1");
    EXPECT_TRUE(d->fds.empty());
    ASSERT_TRUE(d->sender);
    EXPECT_EQ(d->sender->pid, ::getpid());
    EXPECT_EQ(parse_notification(d->text).ready, true) << "the parser reads what the sender wrote";
}

TEST(Notify, FdsTravelWithTheMessage) {
    FakeManager m;
    ScopedEnv env("NOTIFY_SOCKET", m.name.c_str());
    auto a = sys::memfd_create("a", 4096);
    auto b = sys::memfd_create("b", 4096);
    ASSERT_TRUE(a && b);
    auto sent = notify(fd_store_message("pair"), {a->get(), b->get()});
    ASSERT_TRUE(sent && *sent) << (sent ? "not sent" : sent.error().message);
    auto d = m.receive();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->text, "FDSTORE=1\nFDNAME=pair");
    ASSERT_EQ(d->fds.size(), 2u);
    struct stat sa {}, sb {};
    ASSERT_EQ(::fstat(a->get(), &sa), 0);
    ASSERT_EQ(::fstat(d->fds[0].get(), &sb), 0);
    EXPECT_EQ(sa.st_ino, sb.st_ino);
    const Notification n = parse_notification(d->text);
    EXPECT_TRUE(n.fd_store);
    EXPECT_EQ(n.fd_name.value_or(""), "pair");
}

TEST(Notify, WithoutNotifySocketNothingIsSentAndNothingFails) {
    ScopedEnv env("NOTIFY_SOCKET", nullptr);
    EXPECT_FALSE(notify_socket_set());
    auto sent = notify(kStopping);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_FALSE(*sent);
}

TEST(Notify, ANotifySocketNobodyListensOnIsAnErrorNamingTheMessage) {
    ScopedEnv env("NOTIFY_SOCKET", ("@memdomain-test/nobody/" + std::to_string(::getpid())).c_str());
    auto sent = notify(fd_store_remove_message("gone"));
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().sys, ECONNREFUSED) << sent.error().message;
    EXPECT_NE(sent.error().message.find("FDSTOREREMOVE=1"), std::string::npos) << sent.error().message;
}

TEST(NotifyParse, ParsesTheAssignmentsItKnowsAndIgnoresTheRest) {
    Notification n = parse_notification("STATUS=hello\nFDSTORE=1\nFDNAME=MainMem@0\nFDNAME=second\nWATCHDOG=1\n");
    EXPECT_TRUE(n.fd_store);
    EXPECT_FALSE(n.fd_store_remove);
    EXPECT_FALSE(n.ready);
    ASSERT_TRUE(n.fd_name);
    EXPECT_EQ(*n.fd_name, "MainMem@0") << "the first FDNAME counts";
    Notification r = parse_notification("READY=1\nSTOPPING=1");
    EXPECT_TRUE(r.ready);
    EXPECT_TRUE(r.stopping);
    EXPECT_FALSE(r.fd_name);
    Notification rm = parse_notification("FDSTOREREMOVE=1\nFDNAME=x");
    EXPECT_TRUE(rm.fd_store_remove);
    EXPECT_EQ(rm.fd_name.value_or(""), "x");
}

TEST(NotifyParse, OnlyExactValuesCount) {
    Notification n = parse_notification("READY=0\nFDSTORE=yes\nREADY=1 \nxREADY=1\n\n\nnonsense");
    EXPECT_FALSE(n.ready);
    EXPECT_FALSE(n.fd_store);
    EXPECT_FALSE(parse_notification("").ready);
}

