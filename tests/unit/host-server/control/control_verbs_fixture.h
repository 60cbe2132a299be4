// The fixture of the control verbs' unit tests: a real DomainRegistry of two
// domains (real sealed segments, real listening sockets in a temp dir), an
// event loop to run while a create answers late, and the caller's
// credentials (root unless a test changes them). Members of group 4242 may
// administer.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config_parser.h"
#include "control/control_protocol.h"
#include "control/control_verbs.h"
#include "server_fixture.h"

namespace memdomain::control {

using nlohmann::json;

// A numeric admin group needs no /etc/group entry.
inline const char* kConfig = R"(
server {
    admin_group = 4242
}
memdomain Alpha {
    vectors = 3
    max_peers = 8
    size {
        huge 4K = 1MB R/W
    }
}
memdomain Beta {
    size {
        huge 4K = 64KB R/O
        huge 4K = 256KB R/W
    }
    access {
        user root = R/W
        group 100 = R/O
    }
}
)";

class ControlVerbs : public ::testing::Test {
protected:
    void SetUp() override {
        auto cfg = config::parse_config(kConfig, "<test>");
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto loop = server::EventLoop::create();
        ASSERT_TRUE(loop) << loop.error().message;
        loop_.emplace(std::move(loop).value());
        server::RegistryOptions ro;
        ro.socket_dir = dir_.path();
        auto reg = server::DomainRegistry::create(*cfg, ro, *loop_);
        ASSERT_TRUE(reg) << reg.error().message;
        reg_ = std::move(reg).value();
        ctx_.registry = reg_.get();
        ctx_.socket_dir = dir_.path();
        ctx_.caller = sys::PeerCredentials{::getpid(), 0, 0};  // root
    }
    // A request that must answer at once.
    json ask(std::string_view line) {
        auto r = handle_request_line(line, ctx_, late_);
        EXPECT_TRUE(r) << line << " did not answer at once";
        return r ? *r : json();
    }
    json ask_json(const json& request) { return ask(request.dump()); }
    // A request that may answer late (create): runs the event loop until
    // the reply came, or `timeout` passed (then the reply is null).
    json ask_and_wait(const json& request, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        late_reply_.reset();
        auto now = handle_request_line(request.dump(), ctx_, late_);
        if (now) return *now;
        auto timer = loop_->add_timer(timeout, [this] { loop_->stop(); });
        EXPECT_TRUE(timer);
        if (!late_reply_) {
            EXPECT_TRUE(loop_->run());
        }
        if (timer) loop_->remove(*timer);
        return late_reply_.value_or(json());
    }
    json create(const std::string& text) { return ask_and_wait({{"v", 1}, {"verb", "create"}, {"text", text}}); }
    static bool ok(const json& reply) { return reply.is_object() && reply.value("ok", false); }
    static std::string code(const json& reply) { return reply.at("error").at("code").get<std::string>(); }
    static std::string message(const json& reply) { return reply.at("error").at("message").get<std::string>(); }

    test::TempDir dir_;
    std::optional<server::EventLoop> loop_;
    std::unique_ptr<server::DomainRegistry> reg_;
    ControlContext ctx_;
    std::optional<json> late_reply_;
    std::vector<json> progress_;
    AsyncReply late_{[this](json p) { progress_.push_back(std::move(p)); },
                     [this](json r) {
                         late_reply_ = std::move(r);
                         loop_->stop();
                     }};
};

// A one-segment domain (128K, 2 vectors); `extra` goes before its size block.
inline std::string domain_text(const std::string& name, const std::string& extra = "") {
    return "memdomain " + name + " {\n    vectors = 2\n" + extra + "    size {\n        huge 4K = 128KB R/W\n    }\n}\n";
}

}  // namespace memdomain::control
