// The whole library, compiled here: what a program that does not link
// dgrid::dgrid writes in one of its files.
#include <dgrid/src.hpp>
