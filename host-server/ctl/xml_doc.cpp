#include "ctl/xml_doc.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <utility>

namespace memdomain::ctl {
namespace {

// libxml2 prints parse errors to stderr by default; the caller reports the
// first one itself, as one line.
void no_print(void*, xmlErrorPtr) {}

std::string name_of(XmlNode n) { return n && n->name ? reinterpret_cast<const char*>(n->name) : ""; }

bool in_ns(XmlNode n, std::string_view ns) {
    if (ns.empty()) return n->ns == nullptr;
    return n->ns && n->ns->href && ns == reinterpret_cast<const char*>(n->ns->href);
}

const xmlChar* x(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

}  // namespace

Result<XmlDoc> XmlDoc::parse(std::string_view text) {
    if (text.size() > kMaxXml) return make_error("the XML is larger than 16 MiB", E2BIG);
    xmlSetStructuredErrorFunc(nullptr, no_print);
    // No NOENT (entities are not expanded), NONET (no DTD fetched), and no
    // huge-document relaxation.
    xmlDocPtr doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "domain.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError* e = xmlGetLastError();
        std::string why = e && e->message ? e->message : "unknown error";
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        return make_error("malformed XML" + (e ? " at line " + std::to_string(e->line) : std::string()) + ": " + why,
                          EINVAL);
    }
    if (!xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        return make_error("the XML has no root element", EINVAL);
    }
    // libvirt never writes a DOCTYPE; one could declare entities that only
    // expand when an attribute is read (the "billion laughs").
    if (xmlGetIntSubset(doc)) {
        xmlFreeDoc(doc);
        return make_error("the XML has a DOCTYPE, which no libvirt domain XML has", EINVAL);
    }
    return XmlDoc(doc);
}

XmlDoc::~XmlDoc() {
    if (doc_) xmlFreeDoc(doc_);
}
XmlDoc::XmlDoc(XmlDoc&& o) noexcept : doc_(std::exchange(o.doc_, nullptr)) {}
XmlDoc& XmlDoc::operator=(XmlDoc&& o) noexcept {
    if (this != &o) {
        if (doc_) xmlFreeDoc(doc_);
        doc_ = std::exchange(o.doc_, nullptr);
    }
    return *this;
}

XmlNode XmlDoc::root() const { return xmlDocGetRootElement(doc_); }

std::string XmlDoc::to_string() const {
    xmlChar* buf = nullptr;
    int size = 0;
    xmlDocDumpFormatMemory(doc_, &buf, &size, 1);
    std::string out(reinterpret_cast<const char*>(buf), buf ? static_cast<std::size_t>(size) : 0);
    xmlFree(buf);
    return out;
}

std::vector<XmlNode> XmlDoc::children(XmlNode parent, std::string_view name, std::string_view ns) {
    std::vector<XmlNode> out;
    if (!parent) return out;
    for (XmlNode c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && (name.empty() || name_of(c) == name) && in_ns(c, ns)) out.push_back(c);
    return out;
}

XmlNode XmlDoc::child(XmlNode parent, std::string_view name, std::string_view ns) {
    auto all = children(parent, name, ns);
    return all.empty() ? nullptr : all.front();
}

std::string XmlDoc::name(XmlNode node) { return name_of(node); }

std::string XmlDoc::attr(XmlNode node, const char* name) {
    if (!node) return "";
    xmlChar* v = xmlGetNoNsProp(node, x(name));
    std::string out = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
}

std::string XmlDoc::dump(XmlNode node) const {
    xmlBufferPtr buf = xmlBufferCreate();
    xmlNodeDump(buf, doc_, node, 0, 0);
    std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)), static_cast<std::size_t>(xmlBufferLength(buf)));
    xmlBufferFree(buf);
    return out;
}

XmlNode XmlDoc::append(XmlNode parent, const char* prefix, const char* ns_uri, const char* name) {
    xmlNsPtr ns = xmlSearchNsByHref(doc_, parent, x(ns_uri));
    if (!ns) ns = xmlNewNs(root(), x(ns_uri), x(prefix));
    return xmlNewChild(parent, ns, x(name), nullptr);
}

void XmlDoc::set_attr(XmlNode node, const char* name, const std::string& value) {
    xmlSetProp(node, x(name), x(value.c_str()));
}

void XmlDoc::remove(XmlNode node) {
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

}  // namespace memdomain::ctl
