// The changing verbs over a raw control.sock of a real memdomaind, as root:
// a domain created at runtime serves a real peer; destroy refuses while a
// peer is attached and force disconnects it; a create's progress lines come
// before its reply; requests pipelined behind a create wait for it while
// other clients are served; a client that leaves does not cancel its create.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "control/control_protocol.h"
#include "control_connection.h"
#include "host_peer.h"
#include "memdomain/common/sizes.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string domain_text(const std::string& name, const std::string& size = "256KB") {
    return "memdomain " + name + " {\n    vectors = 2\n    size {\n        huge 4K = " + size + " R/W\n    }\n}\n";
}

json create_request(const std::string& text, bool progress = false) {
    json r = {{"v", 1}, {"verb", "create"}, {"text", text}};
    if (progress) r["progress"] = true;
    return r;
}

class ControlChanges : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(domain_config("Base", "64KB"));
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        conn_ = connect();
    }
    std::optional<ControlConnection> connect() {
        auto c = ControlConnection::connect(server_->socket_dir());
        EXPECT_TRUE(c) << c.error().message;
        if (!c) return std::nullopt;
        return std::move(c).value();
    }
    // The reply to `request`, skipping progress lines; prefaulting may take a while.
    json call(const json& request) {
        EXPECT_TRUE(conn_->send_raw(control::encode_line(request)));
        for (;;) {
            auto r = conn_->read_reply(60s);
            EXPECT_TRUE(r) << r.error().message;
            if (!r) return {};
            if (!control::is_progress_line(*r)) return *r;
        }
    }
    json call(const std::string& verb, const std::string& name) { return call(json{{"v", 1}, {"verb", verb}, {"name", name}}); }
    static bool ok(const json& r) { return r.is_object() && r.value("ok", false); }
    static std::string code(const json& r) { return r.at("error").at("code").get<std::string>(); }
    static std::string message(const json& r) { return r.at("error").at("message").get<std::string>(); }

    std::unique_ptr<Server> server_;
    std::optional<ControlConnection> conn_;
};

TEST_F(ControlChanges, DomainCreatedAtRuntimeServesARealPeer) {
    auto r = call(create_request(domain_text("Fresh")));
    ASSERT_TRUE(ok(r)) << r.dump();
    const json& show = r.at("result");
    EXPECT_EQ(show.at("origin"), "runtime");
    EXPECT_EQ(show.at("segments").at(0).at("socket"), server_->socket("Fresh"));
    auto peer = HostPeer::connect(server_->socket("Fresh"));
    ASSERT_TRUE(peer) << peer.error().message << "\n" << server_->log();
    EXPECT_EQ(header_domain_name(peer->header()), "Fresh");
    EXPECT_EQ(peer->header().segment_size, 256 * KiB);
    EXPECT_EQ(peer->vectors(), 2u);
    EXPECT_EQ(peer->header().generation, show.at("instances").at(0).at("generation").get<std::uint64_t>());
    EXPECT_EQ(call("show", "Fresh").at("result").at("instances").at(0).at("peers"), 1);
}

TEST_F(ControlChanges, BadTextGetsTheParsersRequestLineColumnError) {
    auto r = call(create_request("memdomain Broken {\n    size {\n        huge 4K = 3MB R/W\n    }\n}\n"));
    ASSERT_FALSE(ok(r)) << r.dump();
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_EQ(message(r).rfind("request:3:", 0), 0u) << message(r);
    EXPECT_EQ(call("show", "Broken").at("error").at("code"), "ENOENT");
}

TEST_F(ControlChanges, DestroyRefusesWhileAPeerIsAttachedThenForceDisconnectsIt) {
    auto peer = HostPeer::connect(server_->socket("Base"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto refused = call("destroy", "Base");
    ASSERT_FALSE(ok(refused)) << refused.dump();
    EXPECT_EQ(code(refused), "EBUSY");
    EXPECT_NE(message(refused).find("1 peer(s)"), std::string::npos) << message(refused);
    EXPECT_NE(message(refused).find("force"), std::string::npos) << message(refused);
    EXPECT_TRUE(ok(call("show", "Base"))) << "a refused destroy changes nothing";

    auto forced = call(json{{"v", 1}, {"verb", "destroy"}, {"name", "Base"}, {"force", true}});
    ASSERT_TRUE(ok(forced)) << forced.dump();
    EXPECT_EQ(forced.at("result"), json({{"disconnected", 1}}));
    auto gone = peer->next_event(5s);
    EXPECT_FALSE(gone) << "the server must close the peer's connection";
    EXPECT_EQ(call("show", "Base").at("error").at("code"), "ENOENT");
    // Its mapping stays valid: the memory goes only with the last mapping.
    peer->data()[0] = std::byte{42};
    EXPECT_EQ(peer->data()[0], std::byte{42});
}

TEST_F(ControlChanges, ProgressLinesComeBeforeTheReplyOfAOneGibibyteCreate) {
    ASSERT_TRUE(conn_->send_raw(control::encode_line(create_request(domain_text("Big", "1GB"), true))));
    std::vector<json> progress;
    json reply;
    for (;;) {
        auto r = conn_->read_reply(60s);
        ASSERT_TRUE(r) << r.error().message;
        if (!control::is_progress_line(*r)) {
            reply = *r;
            break;
        }
        EXPECT_EQ(r->size(), 2u) << "a progress line is {v, progress}: " << r->dump();
        progress.push_back(r->at("progress"));
    }
    ASSERT_TRUE(ok(reply)) << reply.dump();
    ASSERT_FALSE(progress.empty()) << "no progress line before the reply";
    bool partial = false;
    std::uint64_t last = 0;
    for (const auto& p : progress) {
        EXPECT_EQ(p.at("total"), 1 * GiB);
        const auto done = p.at("done").get<std::uint64_t>();
        EXPECT_GE(done, last) << "progress never goes back";
        last = done;
        partial = partial || done < p.at("total").get<std::uint64_t>();
    }
    EXPECT_TRUE(partial) << "every progress line said done: " << json(progress).dump();
    EXPECT_EQ(reply.at("result").at("instances").at(0).at("resident"), 1 * GiB) << "static: prefaulted";
    EXPECT_TRUE(ok(call("destroy", "Big")));
}

TEST_F(ControlChanges, OtherClientsAreServedWhileACreateIsUnderWay) {
    ASSERT_TRUE(conn_->send_raw(control::encode_line(create_request(domain_text("Slow", "1GB"), true))));
    auto first = conn_->read_reply(60s);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(control::is_progress_line(*first)) << "the create finished before a progress line: " << first->dump();
    auto other = connect();
    ASSERT_TRUE(other);
    auto list = other->call("list");
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_EQ(list->at("result").at("domains").size(), 1u) << "a domain being created is not listed yet";
    auto dup = other->call_json(create_request(domain_text("Slow")));
    ASSERT_TRUE(dup);
    EXPECT_EQ(dup->at("error").at("code"), "EEXIST") << "a name being created is taken";
    json reply;
    do {
        auto r = conn_->read_reply(60s);
        ASSERT_TRUE(r) << r.error().message;
        reply = *r;
    } while (control::is_progress_line(reply));
    EXPECT_TRUE(ok(reply)) << reply.dump();
    EXPECT_TRUE(ok(call("destroy", "Slow")));
}

TEST_F(ControlChanges, RequestsPipelinedBehindACreateAreAnsweredAfterItInOrder) {
    const std::string burst = control::encode_line(create_request(domain_text("Piped", "256MB"))) +
                              control::encode_line(json{{"v", 1}, {"verb", "show"}, {"name", "Piped"}}) +
                              control::encode_line(json{{"v", 1}, {"verb", "list"}});
    ASSERT_TRUE(conn_->send_raw(burst));
    auto created = conn_->read_reply(60s), shown = conn_->read_reply(), listed = conn_->read_reply();
    ASSERT_TRUE(created && shown && listed);
    ASSERT_TRUE(ok(*created)) << created->dump();
    EXPECT_EQ(created->at("result").at("name"), "Piped");
    ASSERT_TRUE(ok(*shown)) << "show ran before the create finished: " << shown->dump();
    EXPECT_EQ(shown->at("result").at("name"), "Piped");
    EXPECT_EQ(listed->at("result").at("domains").size(), 2u) << listed->dump();
}

TEST_F(ControlChanges, ClientThatShutsItsSideAfterACreateStillGetsTheReply) {
    ASSERT_TRUE(conn_->send_raw(control::encode_line(create_request(domain_text("Shut", "64MB")))));
    ASSERT_EQ(::shutdown(conn_->fd(), SHUT_WR), 0);
    auto r = conn_->read_reply(60s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(ok(*r)) << r->dump();
    EXPECT_TRUE(conn_->wait_closed()) << "then the server closes";
}

TEST_F(ControlChanges, ClientThatLeavesDuringACreateDoesNotCancelIt) {
    ASSERT_TRUE(conn_->send_raw(control::encode_line(create_request(domain_text("Orphan", "256MB")))));
    conn_->close();
    conn_ = connect();
    ASSERT_TRUE(conn_);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool there = false;
    while (!there && std::chrono::steady_clock::now() < deadline) {
        there = ok(call("show", "Orphan"));
        if (!there) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(there) << server_->log();
    EXPECT_TRUE(ok(call(json{{"v", 1}, {"verb", "stats"}}))) << "the server is fine";
}

// Under ASan the exit status also says nothing leaked or was used after free.
TEST_F(ControlChanges, ServerStopsCleanlyWhileACreateIsUnderWay) {
    ASSERT_TRUE(ok(call(create_request(domain_text("Done")))));
    ASSERT_TRUE(ok(call("destroy", "Done")));
    ASSERT_TRUE(conn_->send_raw(control::encode_line(create_request(domain_text("Pending", "1GB"), true))));
    auto first = conn_->read_reply(60s);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(control::is_progress_line(*first)) << first->dump();
    auto st = server_->stop(30s);
    ASSERT_TRUE(st) << "memdomaind did not stop";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "status " << *st << "\n" << server_->log();
}

}  // namespace
}  // namespace memdomain::test
