// Every kind of malformed config is refused with one line that starts with
// "FILE:LINE:COL: " pointing at the offending token, and says what is wrong.
// One gtest case per row: the row's name is the behaviour it checks.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "config/config_parser.h"

namespace memdomain::config {
namespace {

struct BadConfig {
    const char* name;
    std::string text;
    std::string where;   // "LINE:COL"
    std::string phrase;  // must occur in the message
};

// A domain whose line 2 (from column 5) is `line`, followed by a valid size block.
std::string key_line(const std::string& line) {
    return "memdomain A {\n    " + line + "\n    size { huge 4K = 1MB }\n}\n";
}
// A domain whose size block has `line` as line 3, from column 9.
std::string size_line(const std::string& line) {
    return "memdomain A {\n    size {\n        " + line + "\n    }\n}\n";
}
// A domain whose access block has `line` as line 4, from column 9.
std::string access_line(const std::string& line) {
    return "memdomain A {\n    size { huge 4K = 1MB }\n    access {\n        " + line + "\n    }\n}\n";
}
// A domain whose socket block has `line` as line 4, from column 9.
std::string socket_line(const std::string& line) {
    return "memdomain A {\n    size { huge 4K = 1MB }\n    socket {\n        " + line + "\n    }\n}\n";
}
// A server block whose line 2 (from column 5) is `line`.
std::string server_line(const std::string& line) { return "server {\n    " + line + "\n}\n"; }
std::string crlf(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return out;
}
std::string seventeen_segments() {
    std::string t = "memdomain A {\n    size {\n";
    for (int i = 0; i < 17; ++i) t += "        huge 4K = 1MB\n";
    return t + "    }\n}\n";
}

// The keys every "unknown key" message lists, in its order.
const std::string kDomainKeys =
    "type, policy, cpualias, vectors, max_peers, grace, contiguous, vaddr, size, access, socket";
const std::string kServerKeys = "max_pending_connections, max_queued_messages, admin_group, libvirt_run_dir";

const std::vector<BadConfig> kBad = {
    // keys
    {"UnknownKeyIsNamedWithTheValidKeys", key_line("colour = red"), "2:5",
     "unknown key 'colour' in memdomain 'A' (valid keys: " + kDomainKeys + ")"},
    {"DuplicateKeyPointsAtTheSecondAndNamesTheFirstLine",
     "memdomain A {\n    type = shared\n    type = local\n    size { huge 4K = 1MB }\n}\n", "3:5",
     "duplicate key 'type' in memdomain 'A' (first set on line 2)"},
    {"DuplicateSizeBlockIsADuplicateKey",
     "memdomain A {\n    size { huge 4K = 1MB }\n    size { huge 4K = 1MB }\n}\n", "3:5", "duplicate key 'size'"},
    {"MissingEqualsAfterKey", key_line("type shared"), "2:10", "unexpected 'shared': expected '=' after 'type'"},
    {"HugeLineOutsideSizeBlock", key_line("huge 4K = 1MB"), "2:5",
     "unknown key 'huge' in memdomain 'A' (valid keys: " + kDomainKeys + "); "
     "segment lines go inside size { }"},
    // domains and names
    {"DuplicateDomainPointsAtSecondNameAndFirstLine",
     "memdomain A { size { huge 4K = 1MB } }\nmemdomain B { size { huge 4K = 1MB } }\n"
     "memdomain A { size { huge 4K = 1MB } }\n",
     "3:11", "duplicate memdomain 'A' (first defined on line 1)"},
    {"DomainNameWithSlash", "memdomain a/b { size { huge 4K = 1MB } }\n", "1:11",
     "bad memdomain name: domain name 'a/b' contains '/'"},
    {"DomainNameReservedForControlSocket", "memdomain control { size { huge 4K = 1MB } }\n", "1:11",
     "bad memdomain name: domain name 'control' is reserved"},
    {"DomainNameDotDot", "memdomain .. { size { huge 4K = 1MB } }\n", "1:11", "'..' is reserved"},
    {"DomainNameLongerThan63", "memdomain " + std::string(64, 'x') + " { size { huge 4K = 1MB } }\n", "1:11",
     "is longer than 63 characters"},
    {"DomainNameMissing", "memdomain { size { huge 4K = 1MB } }\n", "1:11",
     "unexpected '{': expected a memdomain name after 'memdomain'"},
    {"OpenBraceMissingAfterName", "memdomain A size { huge 4K = 1MB }\n", "1:13",
     "unexpected 'size': expected '{' after the memdomain name"},
    {"UnknownTopLevelKeyword", "domain A { size { huge 4K = 1MB } }\n", "1:1",
     "unknown top-level keyword 'domain' (expected 'memdomain', 'server' or 'version')"},
    {"StrayCloseBraceAtTopLevel", "}\n", "1:1",
     "unexpected '}': expected 'memdomain', 'server', 'version' or the end of the file"},
    {"MissingCloseBraceBeforeNextDomain", "memdomain A {\n    size { huge 4K = 1MB }\nmemdomain B {\n", "3:1",
     "unknown key 'memdomain' in memdomain 'A'"},
    {"MissingSizeBlockPointsAtDomainName", "memdomain A {\n    type = shared\n}\n", "1:11",
     "memdomain 'A' has no size block"},
    // size block
    {"EmptySizeBlockPointsAtSizeKey", "memdomain A {\n    size {\n    }\n}\n", "2:5", "empty size block in memdomain 'A'"},
    {"SizeGivenAsScalar", key_line("size = 64MB"), "2:10", "unexpected '=': expected '{' after 'size'"},
    {"BadPageClass", size_line("huge 3M = 64MB"), "3:14", "bad page class '3M' (allowed: 4K, 2M, 1G)"},
    {"PageClassInBytesRefused", size_line("huge 4096 = 1MB"), "3:14", "bad page class '4096'"},
    {"PageClassMissing", size_line("huge = 1MB"), "3:14", "unexpected '=': expected a page class (4K, 2M or 1G)"},
    {"SizeWithFraction", size_line("huge 4K = 1.5G"), "3:19", "bad size '1.5G'"},
    {"SizeWithUnknownUnit", size_line("huge 4K = 12Q"), "3:19", "bad size '12Q'"},
    {"SizeWithIecUnit", size_line("huge 2M = 2MiB"), "3:19", "bad size '2MiB'"},
    {"SizeZero", size_line("huge 4K = 0"), "3:19", "bad size '0'"},
    {"SizeOverflowing64Bits", size_line("huge 4K = 16777216T"), "3:19", "bad size '16777216T'"},
    {"SizeWithTooManyDigits", size_line("huge 4K = 99999999999999999999"), "3:19", "bad size '9999"},
    {"SizeMissing", size_line("huge 4K = }"), "3:19", "unexpected '}': expected a segment size such as 64MB"},
    {"SizeNotPowerOfTwoSuggestsNeighbours", size_line("huge 2M = 96M"), "3:19",
     "96M is not a power of two (a PCI BAR must be): use 64M or 128M"},
    {"SizeNotPowerOfTwoInBytes", size_line("huge 4K = 12288"), "3:19",
     "12K is not a power of two (a PCI BAR must be): use 8K or 16K"},
    {"SizeNotMultipleOfPageSize", size_line("huge 2M = 1MB"), "3:19", "1M is not a multiple of its 2M page size"},
    {"SizeTooSmallForHeaderAndMailbox", size_line("huge 4K = 8K"), "3:19",
     "8K is too small for the 4K header plus the doorbell mailbox of 64 peers (together 8K): use at least 16K"},
    {"SizeTooSmallUsesMaxPeersGivenAfterTheSizeBlock",
     "memdomain A {\n    size { huge 4K = 64K }\n    max_peers = 1024\n}\n", "2:22",
     "64K is too small for the 4K header plus the doorbell mailbox of 1024 peers (together 68K): use at least 128K"},
    {"BadSegmentAccess", size_line("huge 4K = 1MB RW"), "3:23", "bad access 'RW' (allowed: R/W, R/O)"},
    {"SeventeenSegments", seventeen_segments(), "19:9", "more than 16 segments in memdomain 'A'"},
    {"EndOfFileInsideSizeBlock", "memdomain A {\n    size { huge 4K = 1MB", "2:25",
     "unexpected end of file: expected 'huge' or '}' in the size block"},
    // scalar values
    {"VectorsZero", key_line("vectors = 0"), "2:15", "vectors must be a number from 1 to 8, not '0'"},
    {"VectorsAboveEight", key_line("vectors = 9"), "2:15", "vectors must be a number from 1 to 8, not '9'"},
    {"VectorsNegative", key_line("vectors = -1"), "2:15", "vectors must be a number from 1 to 8, not '-1'"},
    {"VectorsNotANumber", key_line("vectors = two"), "2:15", "vectors must be a number from 1 to 8, not 'two'"},
    {"MaxPeersAbove1024", key_line("max_peers = 1025"), "2:17", "max_peers must be a number from 1 to 1024, not '1025'"},
    {"MaxPeersZero", key_line("max_peers = 0"), "2:17", "max_peers must be a number from 1 to 1024, not '0'"},
    {"BadTypeListsAllowedValues", key_line("type = global"), "2:12", "bad type 'global' (allowed: shared, local, numa)"},
    {"BadPolicyListsAllowedValues", key_line("policy = sometimes"), "2:14",
     "bad policy 'sometimes' (allowed: static, dynamic)"},
    {"EnumValuesAreCaseSensitive", key_line("type = Shared"), "2:12", "bad type 'Shared'"},
    // grace
    {"GraceWithoutUnit", key_line("grace = 30"), "2:13",
     "bad duration '30': the unit is required: ms, s, m or h, e.g. 30s"},
    {"GraceUnknownUnit", key_line("grace = 5x"), "2:13",
     "bad duration '5x': expected a whole number and a unit (ms, s, m or h), e.g. 30s or 500ms"},
    {"GraceUnitWordRefused", key_line("grace = 2min"), "2:13",
     "bad duration '2min': expected a whole number and a unit"},
    {"GraceUpperCaseUnit", key_line("grace = 30S"), "2:13", "bad duration '30S': units are lower-case: ms, s, m or h"},
    {"GraceFraction", key_line("grace = 1.5s"), "2:13", "bad duration '1.5s': expected a whole number and a unit"},
    {"GraceNegative", key_line("grace = -1s"), "2:13", "bad duration '-1s': expected a whole number and a unit"},
    {"GraceUnitOnly", key_line("grace = ms"), "2:13", "bad duration 'ms': expected a whole number and a unit"},
    {"GraceAbove24Hours", key_line("grace = 25h"), "2:13", "bad duration '25h': above the maximum of 24h"},
    {"GraceOneMillisecondAbove24Hours", key_line("grace = 86400001ms"), "2:13",
     "bad duration '86400001ms': above the maximum of 24h"},
    {"GraceOverflowing64BitsIsAboveNotGarbage", key_line("grace = 99999999999999999999999h"), "2:13",
     "bad duration '99999999999999999999999h': above the maximum of 24h"},
    {"GraceMissingEquals", key_line("grace 30s"), "2:11", "unexpected '30s': expected '=' after 'grace'"},
    {"GraceMissingValue", key_line("grace = }"), "2:13",
     "unexpected '}': expected a duration such as 30s or 500ms after 'grace ='"},
    {"GraceDuplicateNamesFirstLine", "memdomain A {\n    grace = 1s\n    size { huge 4K = 1MB }\n    grace = 2s\n}\n",
     "4:5", "duplicate key 'grace' in memdomain 'A' (first set on line 2)"},
    {"GraceAtTopLevelHintsMemdomain", "grace = 1s\n", "1:1",
     "unknown top-level keyword 'grace' (expected 'memdomain', 'server' or 'version'); grace goes inside a memdomain"},
    // contiguous
    {"ContiguousTrueRefused", key_line("contiguous = true"), "2:18", "bad contiguous 'true' (allowed: yes, no)"},
    {"ContiguousIsCaseSensitive", key_line("contiguous = Yes"), "2:18", "bad contiguous 'Yes' (allowed: yes, no)"},
    {"ContiguousNumberRefused", key_line("contiguous = 1"), "2:18", "bad contiguous '1' (allowed: yes, no)"},
    {"ContiguousMissingValue", key_line("contiguous = }"), "2:18",
     "unexpected '}': expected yes or no after 'contiguous ='"},
    {"ContiguousDuplicateNamesFirstLine",
     "memdomain A {\n    contiguous = yes\n    contiguous = no\n    size { huge 4K = 1MB }\n}\n", "3:5",
     "duplicate key 'contiguous' in memdomain 'A' (first set on line 2)"},
    // vaddr: the value alone
    {"VaddrInDecimalRefused", key_line("vaddr = 139637976727552"), "2:13",
     "bad vaddr '139637976727552': an address is written in hex with a 0x prefix, e.g. 0x7f0000000000"},
    {"VaddrUpperCasePrefixRefused", key_line("vaddr = 0X7f0000000000"), "2:13",
     "bad vaddr '0X7f0000000000': an address is written in hex with a 0x prefix"},
    {"VaddrBadHexDigit", key_line("vaddr = 0x7g0000000000"), "2:13",
     "bad vaddr '0x7g0000000000': not a hex number (0x followed by digits 0-9, a-f)"},
    {"VaddrPrefixOnly", key_line("vaddr = 0x"), "2:13", "bad vaddr '0x': not a hex number"},
    {"VaddrZero", key_line("vaddr = 0x0"), "2:13",
     "bad vaddr '0x0': 0 is not an address (leave vaddr out to let the kernel choose)"},
    {"VaddrNotPageAligned", key_line("vaddr = 0x7f0000000800"), "2:13",
     "bad vaddr '0x7f0000000800': not a multiple of 4K, the smallest page size"},
    {"VaddrAtEndOfUserSpace", key_line("vaddr = 0x800000000000"), "2:13",
     "bad vaddr '0x800000000000': not below 0x800000000000, the end of user space"},
    {"VaddrKernelAddressRefused", key_line("vaddr = 0xffff800000000000"), "2:13",
     "bad vaddr '0xffff800000000000': not below 0x800000000000"},
    {"VaddrOverflowing64BitsIsAboveNotGarbage", key_line("vaddr = 0x10000000000000000"), "2:13",
     "bad vaddr '0x10000000000000000': not below 0x800000000000"},
    {"VaddrBadDigitAfterOverflowIsABadDigit", key_line("vaddr = 0x10000000000000000z"), "2:13",
     "bad vaddr '0x10000000000000000z': not a hex number"},
    {"VaddrMissingEquals", key_line("vaddr 0x1000"), "2:11", "unexpected '0x1000': expected '=' after 'vaddr'"},
    {"VaddrMissingValue", key_line("vaddr = }"), "2:13",
     "unexpected '}': expected a hex address such as 0x7f0000000000 after 'vaddr ='"},
    {"VaddrDuplicateNamesFirstLine",
     "memdomain A {\n    vaddr = 0x1000\n    size { huge 4K = 1MB }\n    vaddr = 0x2000\n}\n", "4:5",
     "duplicate key 'vaddr' in memdomain 'A' (first set on line 2)"},
    // vaddr against the domain's segments, checked at '}' and reported at the value
    {"VaddrNotAlignedTo2MSegment", "memdomain A {\n    vaddr = 0x7f0000001000\n    size { huge 2M = 2MB }\n}\n",
     "2:13",
     "vaddr 0x7f0000001000 is not a multiple of 2M, the page size of segment 0 of memdomain 'A': use 0x7f0000000000 "
     "or 0x7f0000200000"},
    {"VaddrNotAlignedToLargestPageOfALaterSegment",
     "memdomain A {\n    vaddr = 0x7f0000200000\n    size {\n        huge 4K = 1MB\n        huge 1G = 1G\n    }\n}\n",
     "2:13",
     "vaddr 0x7f0000200000 is not a multiple of 1G, the page size of segment 1 of memdomain 'A': use 0x7f0000000000 "
     "or 0x7f0040000000"},
    {"VaddrGivenAfterTheSizeBlockIsStillChecked", "memdomain A {\n    size { huge 2M = 2MB }\n    vaddr = 0x1000\n}\n",
     "3:13", "vaddr 0x1000 is not a multiple of 2M, the page size of segment 0 of memdomain 'A': use 0x200000"},
    {"VaddrDomainEndsPastUserSpace", key_line("vaddr = 0x7ffffff00000"), "2:13",
     "memdomain 'A' does not fit below the end of user space at vaddr 0x7ffffff00000: its segments take 1M and would "
     "end at 0x800000000000, past 0x7ffffffff000 (use a vaddr up to 0x7fffffeff000)"},
    {"VaddrLastUserPageIsUnmappedByLinux", "memdomain A {\n    vaddr = 0x7ffffffff000\n    size { huge 4K = 16K }\n}\n",
     "2:13", "its segments take 16K and would end at 0x800000003000, past 0x7ffffffff000"},
    {"VaddrLayoutCountsPaddingToTheNextSegmentsPageSize",
     "memdomain A {\n    vaddr = 0x7fffffc00000\n    size {\n        huge 4K = 16K\n        huge 2M = 2M\n    }\n}\n",
     "2:13",
     "its segments take 4M and would end at 0x800000000000, past 0x7ffffffff000 (use a vaddr up to "
     "0x7fffffa00000)"},
    {"VaddrDomainLargerThanUserSpace", "memdomain A {\n    vaddr = 0x1000\n    size { huge 4K = 256T }\n}\n", "2:13",
     "memdomain 'A' does not fit below the end of user space at vaddr 0x1000: its segments take more than the whole of "
     "user space"},
    {"VaddrSumOfHugeSegmentsDoesNotOverflow",
     "memdomain A {\n    vaddr = 0x40000000\n    size {\n        huge 1G = 8388608T\n        huge 1G = 8388608T\n"
     "    }\n}\n",
     "2:13", "its segments take more than the whole of user space"},
    {"VaddrSizeErrorComesBeforeTheLayoutCheck",
     "memdomain A {\n    vaddr = 0x1000\n    size { huge 2M = 3M }\n}\n", "3:22", "3M is not a power of two"},
    // cpualias
    {"UnterminatedStringPointsAtItsQuote", key_line("cpualias = \"0-3"), "2:16", "unterminated string"},
    {"CpuAliasNotQuoted", key_line("cpualias = all"), "2:16", "unexpected 'all': expected a quoted string"},
    {"CpuAliasEmpty", key_line("cpualias = \"\""), "2:17", "cpualias is empty"},
    {"CpuAliasDoubleCommaPointsInsideString", key_line("cpualias = \"0-3,,6\""), "2:21",
     "bad cpualias \"0-3,,6\": expected a CPU number"},
    {"CpuAliasRangeBackwards", key_line("cpualias = \"5-2\""), "2:17", "bad cpualias \"5-2\": range 5-2 runs backwards"},
    {"CpuAliasCpuAbove8191", key_line("cpualias = \"0-9000\""), "2:19", "CPU 9000 is above 8191"},
    {"CpuAliasWithBlank", key_line("cpualias = \"0, 1\""), "2:19", "bad cpualias \"0, 1\": expected a CPU number"},
    {"CpuAliasAllIsCaseSensitive", key_line("cpualias = \"ALL\""), "2:17",
     "bad cpualias \"ALL\": expected a CPU number"},
    {"CpuAliasAllDoesNotMixWithCpus", key_line("cpualias = \"all,1\""), "2:17",
     "bad cpualias \"all,1\": expected a CPU number"},
    {"CpuAliasTrailingComma", key_line("cpualias = \"0,\""), "2:19", "bad cpualias \"0,\": expected a CPU number"},
    {"CpuAliasOpenRange", key_line("cpualias = \"2-\""), "2:19", "bad cpualias \"2-\": expected a CPU number"},
    {"CpuAliasNegativeCpu", key_line("cpualias = \"-1\""), "2:17", "bad cpualias \"-1\": expected a CPU number"},
    {"CpuAliasRangeSeparatorNotColon", key_line("cpualias = \"0:3\""), "2:18",
     "bad cpualias \"0:3\": expected ',' or '-' after a CPU number"},
    // access block
    {"DuplicatePrincipalNamesFirstLine", access_line("user root = R/W\n        user root = R/O"), "5:14",
     "duplicate access entry for user 'root' in memdomain 'A' (first on line 4)"},
    {"BadPrincipalName", access_line("user Root = R/W"), "4:14", "bad user or group name 'Root'"},
    {"PrincipalIdTooLarge", access_line("group 4294967295 = R/W"), "4:15", "bad id '4294967295'"},
    {"BadAclAccess", access_line("user root = RW"), "4:21", "bad access 'RW' (allowed: R/W, R/O)"},
    {"AclAccessMissing", access_line("user root ="), "5:5", "unexpected '}': expected R/W or R/O after '='"},
    {"UnknownAclKind", access_line("uid 0 = R/W"), "4:9",
     "unexpected 'uid': expected 'user', 'group', 'vm' or '}' in the access block"},
    {"VmNameWithSlash", access_line("vm web/1 = R/W"), "4:12",
     "bad VM name 'web/1': a libvirt VM name holds no '/' and no control characters (or '*' for any VM)"},
    {"VmNameDotDot", access_line("vm .. = R/W"), "4:12", "bad VM name '..'"},
    {"VmNameTooLong", access_line("vm " + std::string(256, 'v') + " = R/W"), "4:12", "is longer than 255 bytes"},
    {"DuplicateVmNamesFirstLine", access_line("vm web1 = R/W\n        vm web1 = R/O"), "5:12",
     "duplicate access entry for vm 'web1' in memdomain 'A' (first on line 4)"},
    {"VmWithoutName", access_line("vm = R/W"), "4:12", "expected a user or group name, a numeric id, or a VM name or '*'"},
    {"VmAccessMissing", access_line("vm web1 = "), "5:5", "unexpected '}': expected R/W or R/O after '='"},
    // socket block
    {"SocketUnknownKeyListsValidKeys", socket_line("uid = 0"), "4:9",
     "unknown key 'uid' in the socket block of memdomain 'A' (valid keys: owner, group, mode)"},
    {"SocketUserKeyHintsAtOwner", socket_line("user = root"), "4:9", "; the socket's user is 'owner'"},
    {"SocketDuplicateKeyNamesFirstLine", socket_line("mode = 0660\n        mode = 0600"), "5:9",
     "duplicate key 'mode' in the socket block of memdomain 'A' (first set on line 4)"},
    {"DuplicateSocketBlockPointsAtSecondAndNamesFirstLine",
     "memdomain A {\n    socket { mode = 0660 }\n    size { huge 4K = 1MB }\n    socket { mode = 0600 }\n}\n", "4:5",
     "duplicate socket block in memdomain 'A' (first on line 2)"},
    {"SocketModeWithoutLeadingZero", socket_line("mode = 660"), "4:16",
     "bad mode '660': a mode is octal and starts with 0, e.g. 0660"},
    {"SocketModeWithNonOctalDigit", socket_line("mode = 0689"), "4:16",
     "bad mode '0689': not an octal number (digits 0-7 only)"},
    {"SocketModeInHexRefused", socket_line("mode = 0x1ff"), "4:16", "bad mode '0x1ff': not an octal number"},
    {"SocketModeSymbolicRefused", socket_line("mode = u+rw"), "4:16", "bad mode 'u+rw': a mode is octal"},
    {"SocketModeSetgidRefused", socket_line("mode = 02770"), "4:16",
     "bad mode '02770': sets the setuid, setgid or sticky bit, which a socket does not take (use 0000..0777)"},
    {"SocketModeStickyRefused", socket_line("mode = 01777"), "4:16", "bad mode '01777': sets the setuid, setgid"},
    {"SocketModeAbove07777Refused", socket_line("mode = 077777"), "4:16",
     "bad mode '077777': above 0777 (a mode holds permission bits only)"},
    {"SocketModeOverflowing32BitsIsAboveNotGarbage", socket_line("mode = 0777777777777"), "4:16",
     "bad mode '0777777777777': above 0777"},
    {"SocketModeMissing", socket_line("mode ="), "5:5",
     "unexpected '}': expected an octal mode such as 0660 after 'mode ='"},
    {"SocketOwnerBadName", socket_line("owner = Root"), "4:17", "bad user or group name 'Root'"},
    {"SocketOwnerMissingEquals", socket_line("owner root"), "4:15", "unexpected 'root': expected '=' after 'owner'"},
    {"SocketGroupIdTooLarge", socket_line("group = 4294967295"), "4:17", "bad id '4294967295'"},
    {"SocketGivenAsScalar", key_line("socket = 0660"), "2:12", "unexpected '=': expected '{' after 'socket'"},
    {"SocketBlockAtTopLevel", "socket { mode = 0660 }\n", "1:1",
     "unknown top-level keyword 'socket' (expected 'memdomain', 'server' or 'version'); socket { } goes inside a "
     "memdomain"},
    {"SocketKeyOutsideSocketBlock", key_line("mode = 0660"), "2:5",
     "unknown key 'mode' in memdomain 'A' (valid keys: " + kDomainKeys + "); socket keys go inside socket { }"},
    {"EndOfFileInsideSocketBlock", "memdomain A {\n    size { huge 4K = 1MB }\n    socket { mode = 0660", "3:25",
     "unexpected end of file: expected 'owner', 'group', 'mode' or '}' in the socket block"},
    // server block
    {"ServerUnknownKeyListsValidKeys", server_line("backlog = 5"), "2:5",
     "unknown key 'backlog' in the server block (valid keys: " + kServerKeys + ")"},
    {"ServerDuplicateKeyNamesFirstLine", "server {\n    max_queued_messages = 64\n    max_queued_messages = 128\n}\n",
     "3:5", "duplicate key 'max_queued_messages' in the server block (first set on line 2)"},
    {"DuplicateServerBlockPointsAtSecondAndNamesFirstLine",
     "server { }\nmemdomain A { size { huge 4K = 1MB } }\nserver { }\n", "3:1", "duplicate server block (first on line 1)"},
    {"MaxPendingConnectionsZero", server_line("max_pending_connections = 0"), "2:31",
     "max_pending_connections must be a number from 1 to 4096, not '0'"},
    {"MaxPendingConnectionsAbove4096", server_line("max_pending_connections = 4097"), "2:31",
     "max_pending_connections must be a number from 1 to 4096, not '4097'"},
    {"MaxQueuedMessagesBelow64", server_line("max_queued_messages = 63"), "2:27",
     "max_queued_messages must be a number from 64 to 1048576, not '63'"},
    {"MaxQueuedMessagesAbove1048576", server_line("max_queued_messages = 1048577"), "2:27",
     "max_queued_messages must be a number from 64 to 1048576, not '1048577'"},
    {"MaxQueuedMessagesWithSuffixRefused", server_line("max_queued_messages = 16K"), "2:27",
     "max_queued_messages must be a number from 64 to 1048576, not '16K'"},
    {"MaxQueuedMessagesMissing", server_line("max_queued_messages = }"), "2:27",
     "unexpected '}': expected a number of messages (64..1048576) after 'max_queued_messages ='"},
    {"ServerGivenAsScalar", "server = 1\n", "1:8", "unexpected '=': expected '{' after 'server'"},
    {"ServerBlockInsideDomainHintsTopLevel", key_line("server { }"), "2:5",
     "unknown key 'server' in memdomain 'A' (valid keys: " + kDomainKeys +
         "); server { } is a top-level block, outside every memdomain"},
    {"ServerLimitInsideDomain", key_line("max_pending_connections = 64"), "2:5",
     "; limits go inside the top-level server { }"},
    {"ServerLimitAtTopLevel", "max_queued_messages = 64\n", "1:1",
     "unknown top-level keyword 'max_queued_messages' (expected 'memdomain', 'server' or 'version'); limits go "
     "inside server { }"},
    {"ServerCloseBraceMissingBeforeDomain",
     "server {\n    max_queued_messages = 64\nmemdomain A { size { huge 4K = 1MB } }\n", "3:1",
     "unknown key 'memdomain' in the server block (valid keys: " + kServerKeys + "); is "
     "the '}' of the server block missing?"},
    // server block: libvirt_run_dir
    {"LibvirtRunDirRelative", server_line("libvirt_run_dir = run/libvirt/qemu"), "2:23",
     "libvirt_run_dir 'run/libvirt/qemu' is not an absolute path in the server block"},
    {"LibvirtRunDirMissingValue", server_line("libvirt_run_dir = }"), "2:23",
     "unexpected '}': expected an absolute directory such as /run/libvirt/qemu after 'libvirt_run_dir ='"},
    {"LibvirtRunDirDuplicateNamesFirstLine",
     "server {\n    libvirt_run_dir = /a\n    libvirt_run_dir = /b\n}\n", "3:5",
     "duplicate key 'libvirt_run_dir' in the server block (first set on line 2)"},
    // server block: admin_group
    {"AdminGroupBadName", server_line("admin_group = Wheel"), "2:19", "bad user or group name 'Wheel'"},
    {"AdminGroupIdTooLarge", server_line("admin_group = 4294967295"), "2:19", "bad id '4294967295'"},
    {"AdminGroupMissingEquals", server_line("admin_group wheel"), "2:17",
     "unexpected 'wheel': expected '=' after 'admin_group'"},
    {"AdminGroupMissingValue", server_line("admin_group = }"), "2:19",
     "unexpected '}': expected a group name or decimal gid after 'admin_group ='"},
    {"AdminGroupDuplicateNamesFirstLine", "server {\n    admin_group = wheel\n    admin_group = adm\n}\n", "3:5",
     "duplicate key 'admin_group' in the server block (first set on line 2)"},
    {"AdminGroupInsideDomainHintsServerBlock", key_line("admin_group = wheel"), "2:5",
     "unknown key 'admin_group' in memdomain 'A' (valid keys: " + kDomainKeys +
         "); admin_group goes inside the top-level server { }"},
    {"AdminGroupAtTopLevelHintsServerBlock", "admin_group = wheel\n", "1:1",
     "unknown top-level keyword 'admin_group' (expected 'memdomain', 'server' or 'version'); admin_group goes inside "
     "server { }"},
    {"DomainKeyInServerBlockHintsMemdomain", server_line("vaddr = 0x1000"), "2:5",
     "unknown key 'vaddr' in the server block (valid keys: " + kServerKeys + "); vaddr belongs to a memdomain"},
    {"EndOfFileInsideServerBlockListsEveryKey", "server {\n    admin_group = wheel\n", "3:1",
     "unexpected end of file: expected 'max_pending_connections', 'max_queued_messages', 'admin_group', "
     "'libvirt_run_dir' or '}' in the server block"},
    // version
    {"VersionTwoRefused", "version = 2\n", "1:11", "unsupported config version '2': this memdomaind reads version 1"},
    {"VersionAfterDomain", "memdomain A { size { huge 4K = 1MB } }\nversion = 1\n", "2:1",
     "'version' must come before the first memdomain"},
    {"VersionTwice", "version = 1\nversion = 1\n", "2:1", "duplicate 'version' (first set on line 1)"},
    // end of file, garbage, layout
    {"EndOfFileBeforeClosingBrace", "memdomain A {\n    size { huge 4K = 1MB }\n", "3:1",
     "unexpected end of file: expected '}' or a key (" + kDomainKeys + ")"},
    {"ControlCharacterIsGarbage", key_line("\x01"), "2:5", "unexpected character '\\x01'"},
    {"NonAsciiByteInNameIsGarbage", "memdomain M\xC3\xA4in { size { huge 4K = 1MB } }\n", "1:12",
     "unexpected character '\\xC3'"},
    {"NulByteIsGarbage", std::string("memdomain A {\0}", 15), "1:14", "unexpected character '\\x00'"},
    {"CrlfFileReportsTheSameLineAndColumn", crlf(key_line("type = global")), "2:12", "bad type 'global'"},
    {"TabCountsAsOneColumn", "memdomain A {\n\t\ttype = bogus\n    size { huge 4K = 1MB }\n}\n", "2:10",
     "bad type 'bogus'"},
};

// gtest prints a failing row by its name instead of its bytes.
void PrintTo(const BadConfig& row, std::ostream* os) { *os << row.name; }

class ConfigError : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigError, IsRefusedWithLocationAndMessage) {
    const BadConfig& row = GetParam();
    auto r = parse_config(std::string_view(row.text), "test.conf");
    ASSERT_FALSE(r.has_value()) << "accepted:\n" << row.text;
    const std::string& msg = r.error().message;
    EXPECT_EQ(msg.rfind("test.conf:" + row.where + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(row.phrase), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
}

INSTANTIATE_TEST_SUITE_P(Malformed, ConfigError, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace memdomain::config
