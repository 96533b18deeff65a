#ifndef DGRID_DETAIL_HTTP_WIRE_REQUEST_HPP
#define DGRID_DETAIL_HTTP_WIRE_REQUEST_HPP

// Internal, compiled into the library only: an HTTP request as the client
// writes it.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace dgrid::detail {

namespace http = boost::beast::http;

using string_request = http::request<http::string_body>;

// A request as it goes on the wire (start line, fields, body), in one buffer:
// written once, sent as is by each attempt, in one TLS record for most.
struct wire_request {
    std::string text;
};

// The start line and fields of `request`, each line ended by CRLF, as Beast's
// serializer writes them, with room reserved for `room_after` more bytes (the
// blank line and the body, which the caller appends).
inline std::string head_text(const string_request& request, std::size_t room_after = 0) {
    const auto method = request.method_string();
    const auto target = request.target();
    const std::string_view version = " HTTP/1.1\r\n";
    std::size_t size = method.size() + 1 + target.size() + version.size() + room_after;
    for (const auto& field : request)
        size += field.name_string().size() + 2 + field.value().size() + 2;
    std::string text;
    text.reserve(size);
    const auto append = [&](auto piece) { text.append(piece.data(), piece.size()); };
    append(method);
    text.push_back(' ');
    append(target);
    append(version);
    for (const auto& field : request) {
        append(field.name_string());
        text.append(": ");
        append(field.value());
        text.append("\r\n");
    }
    return text;
}

} // namespace dgrid::detail

#endif
