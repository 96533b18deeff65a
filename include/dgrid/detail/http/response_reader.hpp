#ifndef DGRID_DETAIL_HTTP_RESPONSE_READER_HPP
#define DGRID_DETAIL_HTTP_RESPONSE_READER_HPP

// Internal, compiled into the library only: a response as the client reads it.

#include <dgrid/error.hpp>
#include <dgrid/http_header.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// The header fields the client looks at.
enum class response_field : unsigned char {
    content_type,
    request_id,     // x-request-id
    retry_after,    // Retry-After
    retry_after_ms, // retry-after-ms
    should_retry,   // x-should-retry
    // x-ratelimit-*, in the order of rate_limit_suffixes
    limit_requests,
    remaining_requests,
    reset_requests,
    limit_tokens,
    remaining_tokens,
    reset_tokens,
};

// Reads a response: its status, the fields above (the first of each name,
// as `http::fields` finds it), the fields a user asked to keep, and its body
// as one string. Beast's own response parser would also store every other
// field, one allocation each, on every response.
class response_reader : public boost::beast::http::basic_parser<false> {
public:
    // Also keeps every field named in `names` (client_options::
    // keep_response_headers), which must outlive the reader.
    void keep_fields(const std::vector<std::string>& names) noexcept { user_names_ = &names; }

    unsigned status() const noexcept { return status_; }

    // The fields named to keep_fields, as received.
    const std::vector<http_header>& user_fields() const noexcept { return user_fields_; }

    // The field's value; empty when the response has none.
    std::string_view operator[](response_field f) const noexcept {
        const kept_field& at = kept_[static_cast<std::size_t>(f)];
        return std::string_view(fields_).substr(at.offset, at.size);
    }

    const std::string& body() const noexcept { return body_; }

private:
    struct kept_field {
        std::uint32_t offset = 0;
        std::uint32_t size = 0;
        bool seen = false;
    };

    // A body of announced length is reserved at once, up to this size (a
    // hostile Content-Length must not reserve its claim).
    static constexpr std::size_t max_body_reserve = 1u << 20;

    static constexpr std::size_t kept_count = 11;

    using text = boost::beast::string_view; // what Beast hands over

    static constexpr std::string_view rate_limit_prefix = "x-ratelimit-";
    static constexpr std::array<std::string_view, 6> rate_limit_suffixes = {
        "limit-requests", "remaining-requests", "reset-requests", "limit-tokens", "remaining-tokens", "reset-tokens"};

    static bool kept(boost::beast::http::field name, text name_string, response_field& f) {
        using boost::beast::iequals;
        using boost::beast::http::field;
        if (name == field::content_type)
            f = response_field::content_type;
        else if (name == field::retry_after)
            f = response_field::retry_after;
        else if (name != field::unknown)
            return false;
        else if (iequals(name_string, "x-request-id"))
            f = response_field::request_id;
        else if (iequals(name_string, "retry-after-ms"))
            f = response_field::retry_after_ms;
        else if (iequals(name_string, "x-should-retry"))
            f = response_field::should_retry;
        else
            return rate_limit_field(name_string, f);
        return true;
    }

    static bool rate_limit_field(text name, response_field& f) {
        using boost::beast::iequals;
        if (name.size() <= rate_limit_prefix.size() ||
            !iequals(name.substr(0, rate_limit_prefix.size()), rate_limit_prefix))
            return false;
        name.remove_prefix(rate_limit_prefix.size());
        for (std::size_t i = 0; i < rate_limit_suffixes.size(); ++i) {
            if (iequals(name, rate_limit_suffixes[i])) {
                f = static_cast<response_field>(static_cast<std::size_t>(response_field::limit_requests) + i);
                return true;
            }
        }
        return false;
    }

    void keep_user_field(text name, text value) {
        for (const std::string& wanted : *user_names_) {
            if (boost::beast::iequals(name, wanted)) {
                user_fields_.push_back({std::string(name), std::string(value)});
                return;
            }
        }
    }

    void on_request_impl(boost::beast::http::verb, text, text, int, error_code&) override {}

    void on_response_impl(int code, text, int, error_code&) override { status_ = static_cast<unsigned>(code); }

    void on_field_impl(boost::beast::http::field name, text name_string, text value, error_code&) override {
        if (user_names_ && !user_names_->empty())
            keep_user_field(name_string, value);
        response_field f{};
        if (!kept(name, name_string, f))
            return;
        kept_field& at = kept_[static_cast<std::size_t>(f)];
        if (at.seen)
            return;
        // The header limit bounds the offsets.
        at = {static_cast<std::uint32_t>(fields_.size()), static_cast<std::uint32_t>(value.size()), true};
        fields_.append(value.data(), value.size());
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        if (length)
            body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, max_body_reserve)));
    }

    std::size_t on_body_impl(text piece, error_code&) override {
        body_.append(piece.data(), piece.size());
        return piece.size();
    }

    void on_chunk_header_impl(std::uint64_t, text, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, text piece, error_code&) override {
        body_.append(piece.data(), piece.size());
        return piece.size();
    }

    void on_finish_impl(error_code&) override {}

    unsigned status_ = 0;
    const std::vector<std::string>* user_names_ = nullptr;
    std::vector<http_header> user_fields_;
    std::array<kept_field, kept_count> kept_{};
    std::string fields_; // the kept fields' values, one after the other
    std::string body_;
};

} // namespace dgrid::detail

#endif
