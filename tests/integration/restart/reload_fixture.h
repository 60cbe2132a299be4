// The SIGHUP tests' fixture: a plain memdomaind (no fd store) started on a
// config text, the file rewritten, SIGHUP sent and the outcome of that
// reload waited for in the log.
#pragma once

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "restart_helpers.h"
#include "server_fixture.h"

namespace memdomain::test {

using namespace std::chrono_literals;

inline std::string plain(const std::string& name) {
    return "memdomain " + name +
           " {\n"
           "    size {\n"
           "        huge 4K = 1MB R/W\n"
           "    }\n"
           "}\n";
}

inline std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

class Reload : public ::testing::Test {
protected:
    void start(const std::string& config_text) {
        server_ = std::make_unique<Server>(config_text);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    void write_config(const std::string& text) { std::ofstream(server_->config_path()) << text; }
    // SIGHUP, and wait until the server logged the outcome of that reload.
    void sighup() {
        auto outcomes = [&] {
            const std::string log = server_->log();
            return count(log, "SIGHUP: reloaded") + count(log, "; nothing changed");
        };
        const std::size_t before = outcomes();
        server_->process().signal(SIGHUP);
        ASSERT_TRUE(eventually([&] { return outcomes() > before; })) << "no reload logged\n" << server_->log();
    }
    std::string peer_log(const std::string& name) const { return server_->socket_dir() + "/" + name + ".log"; }

    std::unique_ptr<Server> server_;
};

}  // namespace memdomain::test
