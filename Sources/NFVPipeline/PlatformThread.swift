#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX thread running one closure: data-plane workers, health probes and the control
/// socket's accept loop. Unlike Foundation's `Thread` it can be joined, and it keeps the data
/// plane free of Foundation.
public final class PlatformThread: @unchecked Sendable {
    let handle: pthread_t
    /// True until `join()` returned (joined once; later calls return at once).
    var joinable = true

    /// The closure, boxed to cross `pthread_create`'s context pointer.
    final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; nil when the system refuses a thread (errno-style code
    /// ignored: the caller reports what it could not start).
    public static func start(_ body: @escaping @Sendable () -> Void) -> PlatformThread? {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return PlatformThread(handle: thread)
    }

    init(handle: pthread_t) { self.handle = handle }

    /// Waits for the thread's closure to return.
    public func join() {
        guard joinable else { return }
        joinable = false
        pthread_join(handle, nil)
    }
}
