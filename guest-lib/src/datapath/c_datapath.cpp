// The data path's C API (memdomain/datapath.h): handles around the C++
// objects, errors as negative errnos with md_last_error().
#include "memdomain/datapath.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "c_handles.h"

// The C structs mirror the C++ ones where they are passed through.
static_assert(sizeof(md_msg) == sizeof(memdomain::Message));
static_assert(offsetof(md_msg, offset) == offsetof(memdomain::Message, offset));
static_assert(offsetof(md_msg, length) == offsetof(memdomain::Message, length));
static_assert(offsetof(md_msg, flags) == offsetof(memdomain::Message, flags));
static_assert(offsetof(md_msg, origin) == offsetof(memdomain::Message, origin));
static_assert(offsetof(md_msg, cookie) == offsetof(memdomain::Message, cookie));
static_assert(MD_MSG_LENT == memdomain::kMessageLent && MD_MSG_IN_SLOT == memdomain::kMessageInSlot &&
              MD_MSG_POSTED == memdomain::kMessagePosted);
static_assert(MD_DIR_NAME_MAX == memdomain::kDirectoryNameMax);
static_assert(MD_DIR_TYPE_CHANNEL == memdomain::kDirectoryTypeChannel);
static_assert(MD_CHAN_COPY == static_cast<int>(memdomain::ChannelMode::Copy));
static_assert(MD_CHAN_ZERO_COPY == static_cast<int>(memdomain::ChannelMode::ZeroCopy));
// ABI: grow these from `reserved`, never at the end.
static_assert(sizeof(void*) != 8 || sizeof(md_area_options) == 56);
static_assert(sizeof(void*) != 8 || sizeof(md_area_info) == 104);
static_assert(sizeof(void*) != 8 || sizeof(md_arena_info) == 80);
static_assert(sizeof(md_dir_entry) == 104);
static_assert(sizeof(md_chan_config) == 80);
static_assert(sizeof(md_chan_stats) == 64);

using memdomain::capi::count_or_fail;
using memdomain::capi::fail;
using memdomain::capi::null_arg;

namespace {

void to_c(const memdomain::DirectoryEntry& e, md_dir_entry* out) {
    *out = md_dir_entry{};
    std::memcpy(out->name, e.name.data(), std::min<std::size_t>(e.name.size(), MD_DIR_NAME_MAX));
    out->offset = e.offset;
    out->size = e.size;
    out->type = e.type;
    out->slot = e.slot;
    out->owner_id = e.owner.id;
    out->owner_epoch = e.owner.epoch;
    out->live = e.live ? 1 : 0;
}

}  // namespace

extern "C" {

void md_area_options_init(struct md_area_options* opts) {
    if (opts != nullptr) *opts = md_area_options{};
}

int md_area_attach(struct md_domain* d, const struct md_area_options* opts, struct md_area** out) {
    if (out == nullptr) return null_arg("md_area_attach");
    *out = nullptr;
    memdomain::Domain* dom = memdomain::capi::domain_of(d);
    if (dom == nullptr) return null_arg("md_area_attach");
    memdomain::DataAreaOptions o;
    if (opts != nullptr) {
        if (opts->format_wait_ms < 0) return fail(EINVAL, "md_area_attach: negative format_wait_ms");
        o.directory_slots = opts->directory_slots;
        o.arena_slot_size = opts->arena_slot_size;
        o.format_foreign = opts->format_foreign != 0;
        if (opts->format_wait_ms > 0) o.format_wait = std::chrono::milliseconds(opts->format_wait_ms);
    }
    auto a = memdomain::DataArea::attach(*dom, o);
    if (!a) return fail(a.error());
    auto* h = new (std::nothrow) md_area{std::move(a).value()};
    if (h == nullptr) return fail(ENOMEM, "md_area_attach: out of memory");
    *out = h;
    return 0;
}

void md_area_detach(struct md_area* a) { delete a; }

int md_area_get_info(const struct md_area* a, struct md_area_info* out) {
    if (a == nullptr || out == nullptr) return null_arg("md_area_get_info");
    const memdomain::DataAreaInfo& i = a->area.info();
    *out = md_area_info{};
    out->data_size = i.data_size;
    out->page_size = i.page_size;
    out->directory_offset = i.directory_offset;
    out->arena_table_offset = i.arena_table_offset;
    out->arena_offset = i.arena_offset;
    out->arena_slot_size = i.arena_slot_size;
    out->directory_slots = i.directory_slots;
    out->arena_slots = i.arena_slots;
    out->self_id = a->area.self().id;
    out->self_epoch = a->area.self().epoch;
    out->formatted_here = i.formatted_here ? 1 : 0;
    return 0;
}

int md_area_is_live(const struct md_area* a, uint32_t id, uint32_t epoch) {
    return a != nullptr && a->area.is_live(memdomain::Attachment{id, epoch}) ? 1 : 0;
}

int md_area_reclaim_stale(struct md_area* a) {
    if (a == nullptr) return null_arg("md_area_reclaim_stale");
    return count_or_fail(a->area.reclaim_stale_arenas());
}

int md_arena_claim(struct md_area* a, uint64_t min_bytes, struct md_arena** out) {
    if (a == nullptr || out == nullptr) return null_arg("md_arena_claim");
    *out = nullptr;
    auto r = memdomain::Arena::claim(a->area, min_bytes);
    if (!r) return fail(r.error());
    auto* h = new (std::nothrow) md_arena{std::move(r).value()};
    if (h == nullptr) return fail(ENOMEM, "md_arena_claim: out of memory");
    *out = h;
    return 0;
}

int md_arena_get_info(const struct md_arena* ar, struct md_arena_info* out) {
    if (ar == nullptr || out == nullptr) return null_arg("md_arena_get_info");
    *out = md_arena_info{};
    out->base = ar->arena.data();
    out->offset = ar->arena.offset();
    out->size = ar->arena.size();
    out->page_size = ar->arena.page_size();
    out->va_alignment = ar->arena.va_alignment();
    out->first_slot = ar->arena.first_slot();
    out->slot_count = ar->arena.slot_count();
    return 0;
}

int md_arena_alloc(struct md_arena* ar, uint64_t size, uint64_t align, uint64_t* offset) {
    if (ar == nullptr || offset == nullptr) return null_arg("md_arena_alloc");
    auto r = ar->arena.alloc(size, align == 0 ? 64 : align);
    if (!r) return fail(r.error());
    *offset = *r;
    return 0;
}

int md_arena_free(struct md_arena* ar, uint64_t offset) {
    if (ar == nullptr) return null_arg("md_arena_free");
    auto st = ar->arena.free(offset);
    return st ? 0 : fail(st.error());
}

int md_arena_owned(const struct md_arena* ar) { return ar != nullptr && ar->arena.owned() ? 1 : 0; }
void md_arena_release(struct md_arena* ar) { delete ar; }

int md_dir_publish(struct md_area* a, const char* name, uint64_t offset, uint64_t size, uint32_t type) {
    if (a == nullptr || name == nullptr) return null_arg("md_dir_publish");
    auto st = memdomain::Directory(a->area).publish(name, offset, size, type);
    return st ? 0 : fail(st.error());
}

int md_dir_lookup(const struct md_area* a, const char* name, struct md_dir_entry* out) {
    if (a == nullptr || name == nullptr || out == nullptr) return null_arg("md_dir_lookup");
    auto e = memdomain::Directory(a->area).lookup(name);
    if (!e) return fail(e.error());
    to_c(*e, out);
    return 0;
}

int md_dir_withdraw(struct md_area* a, const char* name) {
    if (a == nullptr || name == nullptr) return null_arg("md_dir_withdraw");
    auto st = memdomain::Directory(a->area).withdraw(name);
    return st ? 0 : fail(st.error());
}

int md_dir_withdraw_stale(struct md_area* a) {
    if (a == nullptr) return null_arg("md_dir_withdraw_stale");
    return count_or_fail(memdomain::Directory(a->area).withdraw_stale());
}

int md_dir_list(const struct md_area* a, struct md_dir_entry* out, size_t cap) {
    if (a == nullptr || (out == nullptr && cap > 0)) return null_arg("md_dir_list");
    const auto all = memdomain::Directory(a->area).list();
    for (size_t i = 0; i < all.size() && i < cap; ++i) to_c(all[i], &out[i]);
    return static_cast<int>(all.size());
}

}  // extern "C"
