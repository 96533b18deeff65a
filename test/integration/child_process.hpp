#ifndef DGRID_TEST_INTEGRATION_CHILD_PROCESS_HPP
#define DGRID_TEST_INTEGRATION_CHILD_PROCESS_HPP

// A program the tests run as a process of its own (the `dgrid` command line,
// an example's server): its arguments, an environment made for it, and where
// its standard output and error go.

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace dgrid::test {

// `variables`, then this process's environment less the variables whose
// names start with one of `dropped` (what a test sets for the child).
inline std::vector<std::string> environment_with(std::vector<std::string> variables,
                                                 std::initializer_list<std::string_view> dropped) {
    for (char** e = environ; *e; ++e) {
        const std::string_view variable(*e);
        bool keep = true;
        for (std::string_view prefix : dropped)
            keep = keep && !variable.starts_with(prefix);
        if (keep)
            variables.emplace_back(variable);
    }
    return variables;
}

// Where a descriptor of the child goes: a file opened with `flags`.
struct redirection {
    int fd;
    std::string path;
    int flags = O_WRONLY | O_CREAT | O_TRUNC;
};

// Starts `args[0]` with `args` and `env`; fails the test when it cannot.
inline pid_t spawn_process(std::vector<std::string> args, std::vector<std::string> env,
                           const std::vector<redirection>& redirections) {
    std::vector<char*> argv, envp;
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (const redirection& r : redirections)
        posix_spawn_file_actions_addopen(&actions, r.fd, r.path.c_str(), r.flags, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_TEST_REQUIRE(spawned == 0, "cannot run " << args.front());
    return pid;
}

// Waits for `pid` to end: its exit code, or -signal.
inline int wait_for_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

} // namespace dgrid::test

#endif
