// What every QEMU test starts from: a real memdomaind serving one domain, and
// a host peer attached to it (the test's eyes on joins, leaves, memory and
// doorbells).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "host_peer.h"
#include "server_fixture.h"

namespace memdomain::test {

class ServerWithHostPeer : public ::testing::Test {
protected:
    // Starts the server on `config` and attaches the host peer to `domain`.
    // Fails the test (fatally) when either does not come up.
    void start_server(const std::string& config, const std::string& domain) {
        server_ = std::make_unique<Server>(config);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        auto p = HostPeer::connect(server_->socket(domain));
        ASSERT_TRUE(p) << p.error().message << "\nserver log:\n" << server_->log();
        host_.emplace(std::move(p).value());
    }

    std::unique_ptr<Server> server_;
    std::optional<HostPeer> host_;
};

}  // namespace memdomain::test
