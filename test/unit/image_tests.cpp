// Images in answers: base64, finding markdown data-URI images, decoding them
// out of messages and completions.
#include <dgrid/base64.hpp>
#include <dgrid/image.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace dgrid;
using namespace std::string_view_literals;

namespace {

// A 1x1 PNG.
constexpr std::string_view png_base64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i += 4) {
        const std::uint32_t v = gen();
        for (std::size_t k = 0; k < 4 && i + k < n; ++k)
            s[i + k] = static_cast<char>(v >> (8 * k));
    }
    return s;
}

std::string decoded(std::string_view text) {
    std::string out = "garbage";
    BOOST_TEST_REQUIRE(base64_decode(text, out), "does not decode: " << text);
    return out;
}

bool rejects(std::string_view text) {
    std::string out = "garbage";
    const bool ok = base64_decode(text, out);
    BOOST_TEST(out.empty(), "output not cleared for: " << text);
    return !ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base64)

BOOST_AUTO_TEST_CASE(rfc4648_vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST(base64_encode(plain) == encoded);
        BOOST_TEST(decoded(encoded) == plain);
    }
}

BOOST_AUTO_TEST_CASE(round_trip_every_length_0_to_64) {
    for (std::size_t n = 0; n <= 64; ++n) {
        const std::string bytes = random_bytes(n, static_cast<unsigned>(n));
        const std::string text = base64_encode(bytes);
        BOOST_TEST(text.size() == (n + 2) / 3 * 4);
        BOOST_TEST(decoded(text) == bytes, "length " << n);
        // Without padding.
        const std::string bare = text.substr(0, text.find('='));
        BOOST_TEST(decoded(bare) == bytes, "unpadded, length " << n);
    }
}

BOOST_AUTO_TEST_CASE(round_trip_every_byte_value) {
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    for (int rotation = 0; rotation < 3; ++rotation) {
        const std::string bytes = all.substr(static_cast<std::size_t>(rotation)) + all.substr(0, rotation);
        BOOST_TEST(decoded(base64_encode(bytes)) == bytes);
    }
    BOOST_TEST(base64_encode("\xFB\xFF\xBF"sv) == "+/+/");
}

BOOST_AUTO_TEST_CASE(round_trip_random_sizes) {
    std::mt19937 gen(42);
    std::uniform_int_distribution<std::size_t> size(0, 5000);
    for (unsigned i = 0; i < 50; ++i) {
        const std::string bytes = random_bytes(size(gen), i + 100);
        BOOST_TEST(decoded(base64_encode(bytes)) == bytes);
    }
}

BOOST_AUTO_TEST_CASE(whitespace_is_skipped) {
    const std::string bytes = random_bytes(1000, 7);
    const std::string text = base64_encode(bytes);
    std::string wrapped;
    for (std::size_t i = 0; i < text.size(); i += 76)
        wrapped.append(text, i, 76).append("\r\n");
    BOOST_TEST(decoded(wrapped) == bytes);
    BOOST_TEST(decoded(" Zm9v\tYmFy\n") == "foobar");
    BOOST_TEST(decoded("Zm9vYg=\n=") == "foob");
    BOOST_TEST(decoded("Z g = =") == "f");
    BOOST_TEST(decoded(" \n ") == "");
}

BOOST_AUTO_TEST_CASE(nonzero_unused_bits_are_ignored) {
    BOOST_TEST(decoded("Zh==") == "f");
    BOOST_TEST(decoded("Zm9=") == "fo");
}

BOOST_AUTO_TEST_CASE(invalid_input_is_rejected) {
    BOOST_TEST(rejects("Z"));     // one lone character
    BOOST_TEST(rejects("Zm9vY")); // ditto after a group
    BOOST_TEST(rejects("Zg="));   // padding short of a group
    BOOST_TEST(rejects("Zg===")); // three '='
    BOOST_TEST(rejects("Zm9v=")); // padding after a full group
    BOOST_TEST(rejects("="));
    BOOST_TEST(rejects("===="));
    BOOST_TEST(rejects("Zg==Zg==")); // '=' inside
    BOOST_TEST(rejects("Zm9-"));     // URL-safe alphabet
    BOOST_TEST(rejects("Zm9_"));
    BOOST_TEST(rejects("Zm9v!"));
    BOOST_TEST(rejects("Zm\0v"sv));
    BOOST_TEST(rejects("Zm9v\x80YmFy"sv));
    BOOST_TEST(rejects("Zm9v YmF!")); // bad character behind whitespace
    BOOST_TEST(rejects("Z \n"));      // lone character behind whitespace
    BOOST_TEST(rejects("data:image/png;base64,iVBORw0KGgo="));
}

BOOST_AUTO_TEST_CASE(tens_of_megabytes_round_trip) {
    const std::string bytes = random_bytes(30 * 1024 * 1024, 1);
    const std::string text = base64_encode(bytes);
    std::string back;
    BOOST_TEST(base64_decode(text, back));
    BOOST_TEST((back == bytes));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(find_images_tests)

BOOST_AUTO_TEST_CASE(spec_example) {
    const std::string text = "![generated image](data:image/png;base64," + std::string(png_base64) + ")";
    const auto found = find_images(text);
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == "generated image");
    BOOST_TEST(found[0].mime_type == "image/png");
    BOOST_TEST(found[0].base64 == png_base64);
    // Views into the text.
    BOOST_TEST((found[0].base64.data() >= text.data() && found[0].base64.data() < text.data() + text.size()));
}

BOOST_AUTO_TEST_CASE(several_images_in_text) {
    const std::string text =
        "Here you go:\n\n![first](data:image/png;base64,AAAA)\nand ![second](data:image/jpeg;base64,"
        "/9j/4A==) and more text.\n![](data:image/webp;base64,UklGRg==)";
    const auto found = find_images(text);
    BOOST_TEST_REQUIRE(found.size() == 3u);
    BOOST_TEST(found[0].alt == "first");
    BOOST_TEST(found[0].mime_type == "image/png");
    BOOST_TEST(found[0].base64 == "AAAA");
    BOOST_TEST(found[1].alt == "second");
    BOOST_TEST(found[1].mime_type == "image/jpeg");
    BOOST_TEST(found[1].base64 == "/9j/4A==");
    BOOST_TEST(found[2].alt == "");
    BOOST_TEST(found[2].mime_type == "image/webp");
}

BOOST_AUTO_TEST_CASE(alt_text_with_brackets_and_escapes) {
    auto found = find_images("![a [nested] alt](data:image/png;base64,AAAA)");
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == "a [nested] alt");

    found = find_images(R"(![close \] bracket](data:image/png;base64,AAAA))");
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == R"(close \] bracket)");

    // An image inside a link.
    found = find_images("[![logo](data:image/gif;base64,R0lG)](https://example.com)");
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == "logo");
    BOOST_TEST(found[0].mime_type == "image/gif");
}

BOOST_AUTO_TEST_CASE(destination_variants) {
    const char* texts[] = {
        "![x]( data:image/png;base64,AAAA )",
        "![x](\n  data:image/png;base64,AAAA\n)",
        "![x](<data:image/png;base64,AAAA>)",
        "![x](data:image/png;base64,AAAA \"a title (with parens)\")",
        "![x](data:image/png;base64,AAAA 'single')",
        "![x](data:image/png;base64,AAAA \"esc \\\" quote\")",
        "![x](DATA:image/png;BASE64,AAAA)",
        "![x](data:image/png;name=img.png;base64,AAAA)",
        "![x](data:image/svg+xml;charset=utf-8;base64,AAAA)",
    };
    for (const char* text : texts) {
        const auto found = find_images(text);
        BOOST_TEST_REQUIRE(found.size() == 1u, text);
        BOOST_TEST(found[0].alt == "x");
        BOOST_TEST(found[0].base64 == "AAAA", text);
        BOOST_TEST((found[0].mime_type == "image/png" || found[0].mime_type == "image/svg+xml"), text);
    }
}

BOOST_AUTO_TEST_CASE(no_images) {
    BOOST_TEST(find_images("").empty());
    BOOST_TEST(find_images("just some text, no pictures").empty());
    BOOST_TEST(find_images("![").empty());
    BOOST_TEST(find_images("]()[!").empty());
}

BOOST_AUTO_TEST_CASE(other_urls_and_non_images_are_ignored) {
    const char* texts[] = {
        "![x](https://example.com/cat.png)",
        "![x](http://example.com/data:image/png;base64,AAAA)",
        "[link, not image](data:image/png;base64,AAAA)",
        "\\![escaped bang](data:image/png;base64,AAAA)",
        "![x](data:image/svg+xml,%3Csvg%3E)",                // not base64
        "![x](data:image/png;charset=utf-8,AAAA)",           // not base64
        "![x](data:image;base64,AAAA)",                      // no subtype
        "![x](data:/png;base64,AAAA)",                       // no type
        "![x](data:image/;base64,AAAA)",                     // empty subtype
        "![x](data:;base64,AAAA)",                           // no media type
        "![x](data:image/png;base64,AAAA",                   // unclosed
        "![x](data:image/png;base64,AAAA\"title\")",         // title without space
        "![x](data:image/png;base64,AAAA \"unclosed title)", // unclosed title
        "![x](<data:image/png;base64,AAAA)",                 // unclosed '<'
        "![x] (data:image/png;base64,AAAA)",                 // space before '('
        "![x](data:image/png;base64,AA AA)",                 // space in payload
    };
    for (const char* text : texts)
        BOOST_TEST(find_images(text).empty(), text);
}

BOOST_AUTO_TEST_CASE(a_failed_candidate_does_not_hide_the_next) {
    const auto found =
        find_images("![a](https://x) ![b](data:image/png;base64,AA \"open ![c](data:image/png;base64,BBBB)");
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == "c");
    BOOST_TEST(found[0].base64 == "BBBB");
}

// Sizes where a quadratic scan would take minutes (the test's ctest timeout
// catches that); a linear one takes well under a second.
BOOST_AUTO_TEST_CASE(hostile_inputs_stay_linear) {
    const auto repeat = [](std::string_view piece, std::size_t times) {
        std::string s;
        s.reserve(piece.size() * times);
        for (std::size_t i = 0; i < times; ++i)
            s.append(piece);
        return s;
    };
    BOOST_TEST(find_images(repeat("![", 500000)).empty());
    BOOST_TEST(find_images(repeat("![x](", 200000)).empty());
    BOOST_TEST(find_images(repeat("![x](data:image/png;base64,", 50000)).empty());
    BOOST_TEST(find_images(std::string(500000, '[') + std::string(500000, ']')).empty());
    BOOST_TEST(find_images(std::string(500000, '\\')).empty());
    BOOST_TEST(find_images(repeat("![x](data:image/png;base64,AAAA \"", 50000)).empty());
    BOOST_TEST(
        find_images(repeat("![x](data:image/png;base64,AAAA \"", 50000) + std::string(500000, ' ') + '"').empty());
    BOOST_TEST(find_images(repeat("![x](data:image/png;base64,AAAA 'a' ", 50000)).empty());
    // Many openers, then one image closing the innermost: found once.
    const std::string nested = repeat("![", 200000) + "x](data:image/png;base64,AAAA)";
    const auto found = find_images(nested); // views into `nested`
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].alt == "x");
}

BOOST_AUTO_TEST_CASE(huge_payload_decodes) {
    const std::string bytes = "\x89PNG\r\n\x1a\n" + random_bytes(8 * 1024 * 1024, 3);
    const std::string text = "Sure!\n\n![generated image](data:image/png;base64," + base64_encode(bytes) + ")\n";
    const auto found = find_images(text);
    BOOST_TEST_REQUIRE(found.size() == 1u);
    image img;
    BOOST_TEST(!decode_image(found[0], img));
    BOOST_TEST(img.mime_type == "image/png");
    BOOST_TEST((img.bytes == bytes));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decode_image_tests)

BOOST_AUTO_TEST_CASE(real_png) {
    const std::string text = "![generated image](data:IMAGE/PNG;base64," + std::string(png_base64) + ")";
    const auto found = find_images(text);
    BOOST_TEST_REQUIRE(found.size() == 1u);
    image img;
    BOOST_TEST(!decode_image(found[0], img));
    BOOST_TEST(img.mime_type == "image/png"); // lowercased
    BOOST_TEST_REQUIRE(img.bytes.size() == 70u);
    BOOST_TEST(img.bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n"sv);
    BOOST_TEST(img.bytes.substr(12, 4) == "IHDR");
    BOOST_TEST(img.bytes.substr(img.bytes.size() - 8, 4) == "IEND");
    // Width and height, big-endian at 16 and 20: 1x1.
    BOOST_TEST(img.bytes.substr(16, 8) == std::string_view("\0\0\0\1\0\0\0\1", 8));
}

BOOST_AUTO_TEST_CASE(invalid_payload_is_malformed_response) {
    image img{"stale", "stale"};
    BOOST_TEST(decode_image({"x", "image/png", "iVBOR!w0"}, img) == error_code(error::malformed_response));
    BOOST_TEST(img.bytes.empty());
    BOOST_TEST(img.mime_type.empty());
    BOOST_TEST(decode_image({"x", "image/png", "A"}, img) == error_code(error::malformed_response));
    // An empty payload is no image.
    BOOST_TEST(decode_image({"x", "image/png", ""}, img) == error_code(error::malformed_response));
    // Found but corrupted: reported, not skipped.
    const auto found = find_images("![x](data:image/png;base64,iVBOR@@w0)");
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(decode_image(found[0], img) == error_code(error::malformed_response));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(extract_images_tests)

BOOST_AUTO_TEST_CASE(from_string_content) {
    const message m = message::assistant("Two: ![a](data:image/png;base64," + std::string(png_base64) +
                                         ") and ![b](data:image/gif;base64," + base64_encode("GIF89a...") + ")");
    error_code ec = error::invalid_json; // cleared on success
    const auto images = extract_images(m, ec);
    BOOST_TEST(!ec);
    BOOST_TEST_REQUIRE(images.size() == 2u);
    BOOST_TEST(images[0].mime_type == "image/png");
    BOOST_TEST(images[0].bytes.substr(1, 3) == "PNG");
    BOOST_TEST(images[1].mime_type == "image/gif");
    BOOST_TEST(images[1].bytes == "GIF89a...");
}

BOOST_AUTO_TEST_CASE(from_parts_content) {
    message m;
    m.role = "user";
    m.content = std::vector<content_part>{
        text_part{"look: ![t](data:image/png;base64,Zm9v)"},
        image_url_part{"https://example.com/cat.png", std::nullopt},
        image_url_part{"data:image/jpeg;base64,YmFy", "low"},
        text_part{"no image here"},
    };
    error_code ec;
    const auto images = extract_images(m, ec);
    BOOST_TEST(!ec);
    BOOST_TEST_REQUIRE(images.size() == 2u);
    BOOST_TEST(images[0].bytes == "foo");
    BOOST_TEST(images[1].mime_type == "image/jpeg");
    BOOST_TEST(images[1].bytes == "bar");
}

BOOST_AUTO_TEST_CASE(no_content) {
    message m;
    m.role = "assistant";
    error_code ec = error::invalid_json;
    BOOST_TEST(extract_images(m, ec).empty());
    BOOST_TEST(!ec);
    BOOST_TEST(extract_images(message::assistant("plain text"), ec).empty());
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(bad_payload_stops_with_the_images_before_it) {
    const message m = message::assistant("![a](data:image/png;base64,Zm9v) ![b](data:image/png;base64,Zm9v!) "
                                         "![c](data:image/png;base64,YmFy)");
    error_code ec;
    const auto images = extract_images(m, ec);
    BOOST_TEST(ec == error_code(error::malformed_response));
    BOOST_TEST_REQUIRE(images.size() == 1u);
    BOOST_TEST(images[0].bytes == "foo");
}

BOOST_AUTO_TEST_CASE(from_completion_all_choices) {
    chat_completion c;
    c.choices.resize(3);
    c.choices[0].message =
        message::assistant("![generated image](data:image/png;base64," + std::string(png_base64) + ")");
    c.choices[1].index = 1;
    c.choices[1].message = message::assistant("Sorry, no image.");
    c.choices[2].index = 2;
    c.choices[2].message =
        message::assistant("![x](data:image/webp;base64,UklGRgAAAABXRUJQ) ![y](data:image/png;base64,Zm9v)");
    error_code ec;
    const auto images = extract_images(c, ec);
    BOOST_TEST(!ec);
    BOOST_TEST_REQUIRE(images.size() == 3u);
    BOOST_TEST(images[0].bytes.size() == 70u);
    BOOST_TEST(images[1].mime_type == "image/webp");
    BOOST_TEST(images[1].bytes.substr(8, 4) == "WEBP");
    BOOST_TEST(images[2].bytes == "foo");

    c.choices[1].message = message::assistant("![broken](data:image/png;base64,=)");
    const auto partial = extract_images(c, ec);
    BOOST_TEST(ec == error_code(error::malformed_response));
    BOOST_TEST(partial.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
