import Foundation
import NIOPosix

/// The threads every request's store work runs on (tiles drawn, items pages, single features, coverage answers, run
/// lists), one per core, taking the work in the order the requests came. Store work done on the cooperative threads
/// that run every request's I/O held one of them (two on two cores) for milliseconds, and the requests behind it
/// waited in no fair order: at 64 connections the slowest in a hundred waited several times the median. Here it
/// queues first come, first served in one queue, and the cooperative threads stay free for requests that read
/// nothing (conformance, the map page, its files), which never wait behind a draw.
enum StoreReadThreads {
    static let threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()

    /// `body` on the pool, with the request's deadline (`RequestDeadline`, a task-local the pool's threads would not
    /// see) bound there as it is here: a store read past it stops with the same problem as before.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let deadline = RequestDeadline.current
        return try await pool.runIfActive {
            try RequestDeadline.$current.withValue(deadline) { try body() }
        }
    }
}
