import CLinux
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a program detached from the caller: in its own session (a Ctrl-C on the daemon's
/// terminal does not reach it), with no signals blocked (a child inherits the blocked set,
/// and a data plane that cannot see SIGTERM cannot stop cleanly), standard input from
/// /dev/null, standard output and error appended to a log file, and no other file descriptor.
public enum ProcessSpawner {
    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Spawns `executable` with `arguments`; returns its process id.
    public static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else crosses over: an inherited pipe would keep the caller's reader waiting
        // for as long as the daemon or data plane lives.
        nfv_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let setSession: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc >= 2.26), a macro Swift does not import
        posix_spawnattr_setflags(&attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF) | setSession))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SpawnError(description: "\(executable): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Every process that runs `executable` with `marker` among its arguments (oldest pid
    /// first): how a daemon finds data planes of a chain that no record names.
    public static func running(executable: String, marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { isRunning($0, executable: executable, marker: marker) }.sorted()
    }

    /// True while process `pid` exists and runs `executable` (its /proc cmdline's first word),
    /// with `marker` among its arguments: a recycled pid is not mistaken for our data plane.
    public static func isRunning(_ pid: pid_t, executable: String, marker: String) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if let state = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = state.lastIndex(of: ")"), state[state.index(close, offsetBy: 2)] == "Z"
        {
            return false
        }
        return words.first.map { ($0 as NSString).lastPathComponent == (executable as NSString).lastPathComponent } == true
            && words.contains(marker)
    }
}
