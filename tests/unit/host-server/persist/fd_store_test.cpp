// FdStore: what it sends to $NOTIFY_SOCKET (a socket this test binds and
// reads as the service manager would), and what it refuses to send.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "persist/fd_store.h"
#include "fake_manager.h"

using namespace memdomain;
using persist::FdStore;
using test::ScopedEnv;
using test::FakeManager;

TEST(FdStore, StoreSendsNameAndADuplicateOfTheFd) {
    FakeManager m;
    ASSERT_TRUE(m.sock.valid());
    auto memfd = sys::memfd_create("seg", 4096);
    ASSERT_TRUE(memfd);
    ScopedEnv env("NOTIFY_SOCKET", m.name.c_str());
    FdStore store = FdStore::from_environment();
    ASSERT_TRUE(store.enabled());
    auto st = store.store("MainMem@0", memfd->get());
    ASSERT_TRUE(st) << st.error().message;
    auto d = m.receive();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->text, "FDSTORE=1\nFDNAME=MainMem@0");
    ASSERT_EQ(d->fds.size(), 1u);
    struct stat a {}, b {};
    ASSERT_EQ(::fstat(memfd->get(), &a), 0);
    ASSERT_EQ(::fstat(d->fds[0].get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_dev, b.st_dev);
    ASSERT_TRUE(d->sender);
    EXPECT_EQ(d->sender->pid, ::getpid());
    EXPECT_GE(::fcntl(memfd->get(), F_GETFD), 0) << "the caller's fd stays open";
}

TEST(FdStore, RemoveSendsFdStoreRemoveWithoutFds) {
    FakeManager m;
    ScopedEnv env("NOTIFY_SOCKET", m.name.c_str());
    FdStore store = FdStore::from_environment();
    ASSERT_TRUE(store.remove("MainMem@0"));
    auto d = m.receive();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->text, "FDSTOREREMOVE=1\nFDNAME=MainMem@0");
    EXPECT_TRUE(d->fds.empty());
}

TEST(FdStore, FromEnvironmentIsDisabledWithoutNotifySocket) {
    ScopedEnv unset("NOTIFY_SOCKET", nullptr);
    FdStore store = FdStore::from_environment();
    EXPECT_FALSE(store.enabled());
    auto memfd = sys::memfd_create("seg", 4096);
    ASSERT_TRUE(memfd);
    EXPECT_TRUE(store.store("seg", memfd->get())) << "nothing to do, nothing failed";
    EXPECT_TRUE(store.remove("seg"));
    EXPECT_FALSE(store.store("bad:name", memfd->get())) << "names are still checked";
}

TEST(FdStore, FromEnvironmentUsesNotifySocket) {
    FakeManager m;
    ScopedEnv set("NOTIFY_SOCKET", m.name.c_str());
    FdStore store = FdStore::from_environment();
    ASSERT_TRUE(store.enabled());
    auto memfd = sys::memfd_create("seg", 4096);
    ASSERT_TRUE(store.store("seg", memfd->get()));
    auto d = m.receive();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->fds.size(), 1u);
}

TEST(FdStore, ValidNamesAreThoseSystemdAccepts) {
    for (std::string ok : {std::string("a"), std::string("MainMem@0"), std::string("domain.segment-1_x"), std::string("with space"), std::string(255, 'n')})
        EXPECT_TRUE(persist::validate_fd_name(ok)) << ok;
    for (std::string bad : {std::string(), std::string(256, 'n'), std::string("a:b"), std::string("a\nb"),
                            std::string("tab\t"), std::string("del\x7f"), std::string("\xc3\xa9t\xc3\xa9")}) {
        auto st = persist::validate_fd_name(bad);
        ASSERT_FALSE(st) << bad;
        EXPECT_EQ(st.error().sys, EINVAL);
    }
}

TEST(FdStore, InvalidNameOrFdSendsNothing) {
    FakeManager m;
    ScopedEnv env("NOTIFY_SOCKET", m.name.c_str());
    FdStore store = FdStore::from_environment();
    auto memfd = sys::memfd_create("seg", 4096);
    EXPECT_FALSE(store.store("a:b", memfd->get()));
    EXPECT_FALSE(store.store("ok", -1));
    EXPECT_FALSE(store.remove(""));
    EXPECT_FALSE(m.receive()) << "nothing reached the manager";
}

TEST(FdStore, UnsupportedOrDeadNotifySocketIsAnError) {
    auto memfd = sys::memfd_create("seg", 4096);
    {
        ScopedEnv env("NOTIFY_SOCKET", "relative/path");
        auto relative = FdStore::from_environment().store("seg", memfd->get());
        ASSERT_FALSE(relative);
        EXPECT_EQ(relative.error().sys, EINVAL) << relative.error().message;
    }
    ScopedEnv env("NOTIFY_SOCKET", ("@memdomain-test/nobody/" + std::to_string(::getpid())).c_str());
    auto dead = FdStore::from_environment().store("seg", memfd->get());
    ASSERT_FALSE(dead);
    EXPECT_EQ(dead.error().sys, ECONNREFUSED);
    EXPECT_NE(dead.error().message.find("seg"), std::string::npos) << dead.error().message;
}
