import CLinux
import Synchronization

/// Wakes a worker that sleeps in poll when another worker hands it frames: an eventfd in the
/// sleeper's poll set, written only when the sleeper said it is about to sleep (so a busy
/// worker costs its peers one atomic load per batch, not a system call).
public final class WakeSignal: @unchecked Sendable {
    /// The eventfd (non-blocking, close-on-exec).
    public let fileDescriptor: Int32
    /// True between "about to sleep" and "awake".
    let sleeping = Atomic<Bool>(false)

    init() throws(LiveChainError) {
        let descriptor = nfv_eventfd_create()
        guard descriptor >= 0 else { throw LiveChainError("eventfd: error \(-descriptor)") }
        fileDescriptor = descriptor
    }

    deinit { _ = close(fileDescriptor) }

    /// Producer side, after publishing frames: wakes the worker if it sleeps.
    @inline(__always)
    func wakeIfSleeping() {
        if sleeping.load(ordering: .sequentiallyConsistent) { _ = nfv_eventfd_signal(fileDescriptor) }
    }

    /// Sleeper side: announces the sleep; the caller then checks its rings once more before
    /// it polls (a producer that published before seeing the flag is caught by that check).
    func prepareToSleep() { sleeping.store(true, ordering: .sequentiallyConsistent) }

    /// Sleeper side, after poll: clears the flag and the eventfd's count.
    func awake() {
        sleeping.store(false, ordering: .sequentiallyConsistent)
        nfv_eventfd_drain(fileDescriptor)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
