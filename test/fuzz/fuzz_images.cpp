// Fuzzes the image helpers and base64: the input is searched as markdown for
// data-URI images, each found one is decoded, and the input is decoded as
// base64 and encoded again.
//
// Checked besides not crashing: found views lie inside the input and decode
// as documented; extract_images agrees with find_images + decode_image;
// base64_decode accepts exactly what the documented rules accept (checked
// against a plain reference decoder) with the same bytes; encode(decode(x))
// is x in canonical form (no whitespace, `=` padding, unused bits zero);
// decode(encode(x)) == x; and an image made from the input is found again.
#include <dgrid/base64.hpp>
#include <dgrid/image.hpp>
#include <dgrid/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_images: invariant violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok)
        violated(what);
}

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool inside(std::string_view part, std::string_view whole) {
    if (part.empty())
        return true; // an empty view may point anywhere
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The rules of base64_decode's documentation, written the slow, obvious way.
// Returns false when the text is rejected; sets `canonical` to what
// base64_encode gives for the decoded bytes.
bool reference_decode(std::string_view text, std::string& bytes, std::string& canonical) {
    std::string s;
    for (char c : text)
        if (!is_space(c))
            s.push_back(c);
    std::size_t pad = 0;
    while (!s.empty() && s.back() == '=') {
        s.pop_back();
        ++pad;
    }
    if (pad > 2 || s.size() % 4 == 1 || (pad != 0 && (s.size() + pad) % 4 != 0))
        return false;
    std::vector<unsigned> sextets;
    for (char c : s) {
        const std::size_t v = alphabet.find(c);
        if (v == std::string_view::npos) // also '=' before the end
            return false;
        sextets.push_back(static_cast<unsigned>(v));
    }
    // The unused low bits of the last character are ignored: zero them.
    if (s.size() % 4 == 2)
        sextets.back() &= ~0xFu;
    else if (s.size() % 4 == 3)
        sextets.back() &= ~0x3u;
    bytes.clear();
    canonical.clear();
    unsigned acc = 0;
    int bits = 0;
    for (unsigned v : sextets) {
        canonical.push_back(alphabet[v]);
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    while (canonical.size() % 4 != 0)
        canonical.push_back('=');
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // Markdown images.
    const std::vector<dgrid::embedded_image> found = dgrid::find_images(input);
    std::vector<dgrid::image> expected;
    bool all_decoded = true;
    for (const dgrid::embedded_image& f : found) {
        check(inside(f.alt, input) && inside(f.mime_type, input) && inside(f.base64, input),
              "a found view outside the text");
        check(f.mime_type.find('/') != std::string_view::npos, "a media type without '/'");
        dgrid::image img;
        img.mime_type = "stale";
        img.bytes = "stale";
        const dgrid::error_code ec = dgrid::decode_image(f, img);
        std::string bytes;
        const bool ok = dgrid::base64_decode(f.base64, bytes);
        if (ec) {
            check(ec == dgrid::error::malformed_response, "decode_image: an unexpected error");
            check(img.bytes.empty() && img.mime_type.empty(), "decode_image: output not cleared on error");
            check(!ok || bytes.empty(), "decode_image failed on a valid payload");
        } else {
            check(ok && bytes == img.bytes && !img.bytes.empty(), "decode_image and base64_decode disagree");
            check(img.mime_type.size() == f.mime_type.size(), "decode_image: media type length changed");
            for (std::size_t i = 0; i < img.mime_type.size(); ++i)
                check(img.mime_type[i] == lower(f.mime_type[i]), "decode_image: media type not lowercased");
        }
        if (all_decoded && !ec)
            expected.push_back(img);
        all_decoded = all_decoded && !ec;
    }
    dgrid::error_code extract_ec;
    const std::vector<dgrid::image> extracted =
        dgrid::extract_images(dgrid::message::assistant(std::string(input)), extract_ec);
    check(bool(extract_ec) == !all_decoded, "extract_images: a different outcome than decode_image");
    check(extracted.size() == expected.size(), "extract_images: a different number of images");
    for (std::size_t i = 0; i < extracted.size(); ++i)
        check(extracted[i].bytes == expected[i].bytes && extracted[i].mime_type == expected[i].mime_type,
              "extract_images: a different image");

    // The same text as a text part, followed by the input as the URL of an
    // image_url part: a bare data URI whose payload is all the rest.
    dgrid::error_code parts_ec;
    const std::vector<dgrid::image> from_parts =
        dgrid::extract_images(dgrid::message::user(std::vector<dgrid::content_part>{
                                  dgrid::text_part{std::string(input)}, dgrid::image_url_part{std::string(input), {}}}),
                              parts_ec);
    // The text gives what it gave alone; the URL at most one image more.
    const bool one_more = !extract_ec && !parts_ec && from_parts.size() == extracted.size() + 1;
    check(from_parts.size() == extracted.size() || one_more, "extract_images: parts give other images");
    check(!extract_ec || parts_ec == extract_ec, "extract_images: parts fail differently");
    for (std::size_t i = 0; i < extracted.size(); ++i)
        check(from_parts[i].bytes == extracted[i].bytes, "extract_images: a text part gives other images");
    if (one_more) {
        std::string head(input.substr(0, 5));
        for (char& c : head)
            c = lower(c);
        check(head == "data:" && !from_parts.back().bytes.empty(), "extract_images: an image from a URL not data:");
    }

    // base64 against the reference.
    std::string decoded = "stale";
    const bool ok = dgrid::base64_decode(input, decoded);
    std::string ref_bytes;
    std::string canonical;
    const bool ref_ok = reference_decode(input, ref_bytes, canonical);
    check(ok == ref_ok, "base64_decode accepts differently from the documented rules");
    if (ok) {
        check(decoded == ref_bytes, "base64_decode gives different bytes than the reference");
        check(dgrid::base64_encode(decoded) == canonical, "encode(decode(x)) is not x in canonical form");
    } else {
        check(decoded.empty(), "base64_decode left output after failing");
    }

    const std::string encoded = dgrid::base64_encode(input);
    check(encoded.size() % 4 == 0 && encoded.size() == (size + 2) / 3 * 4, "base64_encode: wrong length");
    std::string round_trip;
    check(dgrid::base64_decode(encoded, round_trip) && round_trip == input, "decode(encode(x)) != x");

    // The input as the payload of an image in markdown is found and decodes to itself.
    if (size != 0) {
        const std::string markdown = "Here: ![a [nested] alt](data:Image/PNG;base64," + encoded + " \"title\") done";
        const std::vector<dgrid::embedded_image> one = dgrid::find_images(markdown);
        check(one.size() == 1 && one[0].base64 == encoded && one[0].alt == "a [nested] alt", "a made image not found");
        dgrid::image img;
        check(!dgrid::decode_image(one[0], img) && img.bytes == input && img.mime_type == "image/png",
              "a made image does not decode to its bytes");
    }
    return 0;
}
