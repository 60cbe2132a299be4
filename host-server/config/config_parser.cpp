// The config parser: runs the PEGTL grammar (config_grammar.h) over the text
// and gives each token to an action (config_actions.h;
// config_segment_actions.h for the size and access blocks;
// config_block_actions.h for the socket and server blocks;
// config_placement_actions.h for grace, contiguous and vaddr) that checks
// what it means and fills the Config. Errors are one line,
// "FILE:LINE:COL: message", pointing at the token that is wrong; the Config
// (or the DomainConfig of parse_domain_text) is returned only when the whole
// text is good, never in part.
//
// PEGTL reports a missing token (must<>) by throwing parse_error, so the
// actions report bad values the same way (ConfigError). Both are caught in
// run() and turned into an Error: no exception leaves this file.
#include "config/config_parser.h"

#include <fstream>
#include <new>
#include <sstream>

#include "config/config_actions.h"
#include "config/config_block_actions.h"
#include "config/config_grammar.h"
#include "config/config_placement_actions.h"
#include "config/config_segment_actions.h"

namespace memdomain::config {
namespace {

namespace pg = tao::pegtl;
namespace gr = grammar;
using detail::action;
using detail::ConfigError;
using detail::shown;
using detail::State;

// --- the control: what a missing token is called ---------------------------
template <class Rule>
concept HasExpected = requires { Rule::expected; };

// What the parser found where something else was expected.
template <class Input>
std::string found(const Input& in) {
    if (in.empty()) return "unexpected end of file";
    const auto c = static_cast<unsigned char>(in.peek_char());
    if (c < 0x20 || c >= 0x7f)
        return "unexpected character '" + shown(std::string_view(in.current(), 1)) +
               "' (outside comments and strings only printable ASCII is allowed)";
    std::size_t n = 1;
    auto is_word = [](unsigned char b) { return b > 0x20 && b < 0x7f && b != '"' && b != '#' && b != '=' && b != '{' && b != '}'; };
    if (is_word(c))
        while (n < in.size(41) && is_word(static_cast<unsigned char>(in.peek_char(n)))) ++n;
    return "unexpected '" + shown(std::string_view(in.current(), n), 40) + "'";
}

template <class Rule>
struct control : pg::normal<Rule> {
    template <class Input, class... States>
    [[noreturn]] static void raise(const Input& in, States&&... /*unused*/) {
        static_assert(HasExpected<Rule>, "every must<> target needs an 'expected' message");
        std::string msg = found(in);
        // A garbage byte says all there is to say; anything else also says
        // what would have been right there.
        if (msg.find("outside comments") == std::string::npos) msg += std::string(": ") + Rule::expected;
        throw pg::parse_error(msg, in);
    }
};


// Runs `Grammar` over the text into `st`; every failure becomes one Error.
template <class Grammar>
Status run(std::string_view text, const std::string& source_name, State& st) {
    st.source = source_name;
    pg::memory_input<pg::tracking_mode::eager, pg::eol::lf_crlf> in(text.data(), text.data() + text.size(),
                                                                     source_name);
    try {
        if (!pg::parse<Grammar, action, control>(in, st))  // cannot happen: both grammars end in must<>
            return make_error(source_name + ":1:1: not a memdomain config", EINVAL);
    } catch (const pg::parse_error& e) {
        const pg::position& p = e.positions().front();
        return make_error(to_string(SourceLocation{source_name, p.line, p.column}) + ": " + std::string(e.message()),
                          EINVAL);
    } catch (const ConfigError& e) {
        return make_error(to_string(e.where) + ": " + e.message, EINVAL);
    } catch (const std::bad_alloc&) {
        return make_error(source_name + ": out of memory while parsing", ENOMEM);
    }
    return {};
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& source_name) {
    State st;
    MD_TRY(run<gr::file>(text, source_name, st));
    return std::move(st.config);
}

Result<DomainConfig> parse_domain_text(std::string_view text, const std::string& source_name) {
    State st;
    MD_TRY(run<gr::domain_text>(text, source_name, st));
    // The grammar matched exactly one domain block, and its '}' stored it.
    return std::move(st.config.domains.front());
}

Result<Config> parse_config(std::istream& in, const std::string& source_name) {
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(source_name + ": read error", EIO);
    return parse_config(std::string_view(text.str()), source_name);
}

Result<Config> parse_config_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return sys_error("cannot open config file " + path);
    return parse_config(f, path);
}

}  // namespace memdomain::config
