// A libvirt domain XML held by libxml2: parsed without network access,
// entity expansion or libxml2's own printing (a malformed document is one
// Error naming the line), walked by element name and namespace, edited, and
// written back. Used by memdomainctl attach/detach and by the libvirt hook.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"

struct _xmlDoc;
struct _xmlNode;

namespace memdomain::ctl {

using XmlNode = _xmlNode*;

class XmlDoc {
public:
    // At most kMaxXml bytes: a domain XML is a few KiB.
    static constexpr std::size_t kMaxXml = 16 * 1024 * 1024;
    static Result<XmlDoc> parse(std::string_view text);
    ~XmlDoc();
    XmlDoc(XmlDoc&&) noexcept;
    XmlDoc& operator=(XmlDoc&&) noexcept;

    XmlNode root() const;
    std::string to_string() const;

    // Element children of `parent` named `name` (any name when empty), in
    // the namespace `ns` (empty: no namespace).
    static std::vector<XmlNode> children(XmlNode parent, std::string_view name = {}, std::string_view ns = {});
    static XmlNode child(XmlNode parent, std::string_view name, std::string_view ns = {});  // first, or null
    // An element's local name.
    static std::string name(XmlNode node);
    // An attribute's value ("" when absent).
    static std::string attr(XmlNode node, const char* name);
    // The element as XML text.
    std::string dump(XmlNode node) const;

    // Appends <prefix:name> in namespace `ns_uri` (declared on the root as
    // `prefix` when it is not yet) to `parent`; returns it.
    XmlNode append(XmlNode parent, const char* prefix, const char* ns_uri, const char* name);
    static void set_attr(XmlNode node, const char* name, const std::string& value);
    static void remove(XmlNode node);  // unlinks and frees

private:
    explicit XmlDoc(_xmlDoc* doc) : doc_(doc) {}
    _xmlDoc* doc_ = nullptr;
};

}  // namespace memdomain::ctl
