// The batch runner: files, scheduling and records. It drives the client
// through its public interface only, so this unit does not see Beast.
#include <dgrid/detail/batch/append_log.ipp>
#include <dgrid/detail/batch/batch_records.ipp>
#include <dgrid/detail/batch/input_line.ipp>
#include <dgrid/detail/batch/line_reader.ipp>
#include <dgrid/impl/batch.ipp>
