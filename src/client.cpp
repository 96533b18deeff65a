// The heavy half of the compiled library: the network stack (Asio, Beast,
// OpenSSL), instantiated once here instead of in every user's translation unit.
#include <dgrid/impl/chat_stream.ipp>
#include <dgrid/impl/client.ipp>
#include <dgrid/impl/operation_fsm.ipp>
