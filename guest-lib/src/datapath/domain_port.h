// What the data path needs from an open domain: segment 0's memory, our id,
// and the doorbells. One implementation wraps a memdomain::Domain; keeping
// the data path on this narrow seam means it never reaches into a transport.
// Internal to libmemdomain.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"

namespace memdomain::detail {

class DomainPort {
public:
    virtual ~DomainPort() = default;
    virtual const SegmentView& segment0() const = 0;
    virtual PeerId self() const = 0;
    virtual std::uint32_t vectors() const = 0;
    virtual Result<SegmentHeader> header() const = 0;  // validated copy
    virtual Status notify(PeerId peer, std::uint32_t vector) = 0;
    virtual Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout) = 0;
    virtual int doorbell_fd(std::uint32_t vector) const = 0;
};

std::unique_ptr<DomainPort> make_domain_port(Domain& domain);

}  // namespace memdomain::detail
