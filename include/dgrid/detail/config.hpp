#ifndef DGRID_DETAIL_CONFIG_HPP
#define DGRID_DETAIL_CONFIG_HPP

// DGRID_SEPARATE_COMPILATION (set by the CMake target dgrid::dgrid): the
// non-template code is compiled once in the library and headers only declare it.
// Without it the library is header-only: every header pulls in its
// implementation, and the network stack with it.
#ifdef DGRID_SEPARATE_COMPILATION
#define DGRID_DECL
#else
#define DGRID_DECL inline
#endif

#endif
