// Multimodal input: image parts from URLs, bytes and files, and DGrid's
// Gemini-native `contents` extension.
#include <dgrid/base64.hpp>
#include <dgrid/gemini_contents.hpp>
#include <dgrid/image_input.hpp>
#include <dgrid/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace dgrid;
using namespace std::string_view_literals;

namespace {

constexpr std::string_view png_magic = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"sv;
constexpr std::string_view jpeg_magic = "\xFF\xD8\xFF\xE0\0\x10JFIF\0"sv;

// A directory of its own under the system temp directory, removed at the end.
class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("dgrid-multimodal-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    fs::path write(const std::string& name, std::string_view bytes) const {
        const fs::path p = path_ / name;
        std::ofstream out(p, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        BOOST_TEST_REQUIRE(out.good());
        return p;
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(image_input)

BOOST_AUTO_TEST_CASE(from_url) {
    image_url_part part = image_from_url("https://example.com/cat.png");
    BOOST_TEST(part.url == "https://example.com/cat.png");
    BOOST_TEST(!part.detail.has_value());
    part = image_from_url("https://example.com/dog.jpg", "high");
    BOOST_TEST(part.url == "https://example.com/dog.jpg");
    BOOST_TEST((part.detail == std::optional<std::string>("high")));
}

BOOST_AUTO_TEST_CASE(from_bytes) {
    image_url_part part = image_from_bytes("foobar", "image/png");
    BOOST_TEST(part.url == "data:image/png;base64,Zm9vYmFy");
    BOOST_TEST(!part.detail.has_value());
    part = image_from_bytes(png_magic, "image/png", "low");
    BOOST_TEST(part.url == "data:image/png;base64," + base64_encode(png_magic));
    BOOST_TEST((part.detail == std::optional<std::string>("low")));
    // Usable in a user message and serialized as an image_url part.
    const json::value v = to_json(message::user({text_part{"What is this?"}, image_from_bytes("f", "image/gif")}));
    BOOST_TEST(json::serialize(v.at("content").at(1)) ==
               R"({"type":"image_url","image_url":{"url":"data:image/gif;base64,Zg=="}})");
}

BOOST_AUTO_TEST_CASE(sniffing) {
    BOOST_TEST(sniff_image_type(png_magic) == "image/png");
    BOOST_TEST(sniff_image_type(jpeg_magic) == "image/jpeg");
    BOOST_TEST(sniff_image_type("GIF87a\1\0") == "image/gif");
    BOOST_TEST(sniff_image_type("GIF89a\1\0") == "image/gif");
    BOOST_TEST(sniff_image_type("RIFF\x24\0\0\0WEBPVP8 "sv) == "image/webp");
    BOOST_TEST(sniff_image_type("RIFF\x24\0\0\0WAVEfmt "sv) == "");
    BOOST_TEST(sniff_image_type("\x89PNG") == "");
    BOOST_TEST(sniff_image_type("") == "");
    BOOST_TEST(sniff_image_type("hello world") == "");
}

BOOST_AUTO_TEST_CASE(from_file_png_and_jpeg_by_magic) {
    temp_dir dir;
    const std::string png = std::string(png_magic) + "rest of a png";
    const std::string jpeg = std::string(jpeg_magic) + "rest of a jpeg";
    error_code ec = error::invalid_json;

    // The signature wins over a misleading or missing extension.
    image_url_part part = image_from_file(dir.write("picture.bin", png), ec);
    BOOST_TEST(!ec);
    BOOST_TEST(part.url == "data:image/png;base64," + base64_encode(png));
    BOOST_TEST(!part.detail.has_value());

    part = image_from_file(dir.write("photo.png", jpeg), ec, "auto");
    BOOST_TEST(!ec);
    BOOST_TEST(part.url == "data:image/jpeg;base64," + base64_encode(jpeg));
    BOOST_TEST((part.detail == std::optional<std::string>("auto")));
}

BOOST_AUTO_TEST_CASE(from_file_type_by_extension) {
    temp_dir dir;
    error_code ec;
    const std::pair<const char*, const char*> cases[] = {
        {"a.PNG", "image/png"}, {"b.jpg", "image/jpeg"},  {"c.JPEG", "image/jpeg"},
        {"d.gif", "image/gif"}, {"e.WebP", "image/webp"},
    };
    for (const auto& [name, mime] : cases) {
        const image_url_part part = image_from_file(dir.write(name, "no known signature"), ec);
        BOOST_TEST(!ec, name);
        BOOST_TEST(part.url == std::string("data:") + mime + ";base64," + base64_encode("no known signature"));
    }
}

BOOST_AUTO_TEST_CASE(from_file_unknown_type) {
    temp_dir dir;
    error_code ec;
    image_url_part part = image_from_file(dir.write("notes.txt", "no known signature"), ec);
    BOOST_TEST(ec == error_code(error::invalid_request));
    BOOST_TEST(part.url.empty());
    part = image_from_file(dir.write("noext", "no known signature"), ec);
    BOOST_TEST(ec == error_code(error::invalid_request));
}

BOOST_AUTO_TEST_CASE(from_file_empty) {
    temp_dir dir;
    error_code ec;
    const image_url_part part = image_from_file(dir.write("empty.png", ""), ec);
    BOOST_TEST(ec == error_code(error::invalid_request));
    BOOST_TEST(part.url.empty());
}

BOOST_AUTO_TEST_CASE(from_file_missing) {
    temp_dir dir;
    error_code ec;
    const image_url_part part = image_from_file(dir.path() / "does-not-exist.png", ec);
    BOOST_TEST(ec.failed());
    BOOST_TEST((ec == std::errc::no_such_file_or_directory), ec.message());
    BOOST_TEST(part.url.empty());
}

BOOST_AUTO_TEST_CASE(from_file_directory) {
    temp_dir dir;
    error_code ec;
    image_from_file(dir.path(), ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(from_file_size_limit) {
    temp_dir dir;
    error_code ec;
    const fs::path at_limit = dir.write("at-limit.png", png_magic);
    fs::resize_file(at_limit, max_image_file_size); // sparse: quick to make
    const image_url_part part = image_from_file(at_limit, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(part.url.size() == "data:image/png;base64,"sv.size() + (max_image_file_size + 2) / 3 * 4);

    const fs::path over = dir.write("over.png", png_magic);
    fs::resize_file(over, max_image_file_size + 1);
    BOOST_TEST(image_from_file(over, ec).url.empty());
    BOOST_TEST(ec == error_code(error::invalid_request));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gemini_contents)

BOOST_AUTO_TEST_CASE(json_text) {
    const std::vector<gemini_content> contents = {
        {"user", {gemini_part::text("Make this sunset purple."), gemini_part::inline_bytes("foobar", "image/png")}},
    };
    BOOST_TEST(json::serialize(to_json(contents)) == R"([{"role":"user","parts":[{"text":"Make this sunset purple."},)"
                                                     R"({"inlineData":{"mimeType":"image/png","data":"Zm9vYmFy"}}]}])");
}

BOOST_AUTO_TEST_CASE(parts_and_roles) {
    gemini_content first;
    first.parts.push_back(gemini_part::text("hi"));
    gemini_content second{"model", {gemini_part::text("hello")}};
    gemini_content no_role{"", {gemini_part{gemini_inline_data{"image/jpeg", "/9j/"}}}};
    BOOST_TEST(first.role == "user"); // the default
    BOOST_TEST(json::serialize(to_json({first, second, no_role})) ==
               R"([{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"hello"}]},)"
               R"({"parts":[{"inlineData":{"mimeType":"image/jpeg","data":"/9j/"}}]}])");
    BOOST_TEST(json::serialize(to_json(std::vector<gemini_content>{})) == "[]");
    BOOST_TEST(json::serialize(to_json({gemini_content{}})) == R"([{"role":"user","parts":[]}])");

    const gemini_part bytes = gemini_part::inline_bytes(png_magic, "image/png");
    const auto* data = std::get_if<gemini_inline_data>(&bytes.value);
    BOOST_TEST_REQUIRE(data != nullptr);
    BOOST_TEST(data->mime_type == "image/png");
    BOOST_TEST(data->data == base64_encode(png_magic));
}

BOOST_AUTO_TEST_CASE(set_contents_stores_in_extra) {
    chat_request r;
    r.extra["contents"] = "old";
    r.extra["seed_extra"] = 1;
    set_contents(r, {{"user", {gemini_part::text("a")}}});
    BOOST_TEST(r.extra.size() == 2u);
    BOOST_TEST(json::serialize(r.extra.at("contents")) == R"([{"role":"user","parts":[{"text":"a"}]}])");
}

BOOST_AUTO_TEST_CASE(request_json_has_contents_next_to_messages) {
    chat_request r;
    r.model = "gemini-2.0-flash-preview-image-generation";
    r.stream = false;
    r.messages.push_back(message::user("Generate an image of a futuristic city skyline at sunset."));
    set_contents(r,
                 {{"user", {gemini_part::text("In this style:"), gemini_part::inline_bytes("foobar", "image/png")}}});

    const json::value expected = json::parse(R"({
        "model": "gemini-2.0-flash-preview-image-generation",
        "stream": false,
        "messages": [{"role": "user", "content": "Generate an image of a futuristic city skyline at sunset."}],
        "contents": [{"role": "user", "parts": [
            {"text": "In this style:"},
            {"inlineData": {"mimeType": "image/png", "data": "Zm9vYmFy"}}]}]
    })");
    const json::value actual = to_json(r);
    BOOST_TEST((actual == expected), json::serialize(actual));
}

BOOST_AUTO_TEST_SUITE_END()
