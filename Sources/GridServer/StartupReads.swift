import Foundation
import GridStore
import GridTiles
import Hummingbird
import Synchronization

/// What a server reads right after it starts, in the order a map page needs it, on a thread of its own.
///
/// First the latest coverage run's area figures (every map page asks for `/coverage/summary`, then for the grid and
/// community tiles that carry them), then the buildings' point index for low-zoom building tiles, at the lowest
/// scheduling priority: it takes only time the machine has to spare, so the first page's requests (and a browser on the
/// same machine) are not slowed by it, and a tile that needs the index before it is read reads it itself.
///
/// Handlers run on Swift's shared pool, as many threads as cores: a read done there, or a request blocked waiting for
/// it, holds one of them, and on two cores the page's scripts, extent and counts queued behind the start-up reads.
/// Requests that need the figures therefore wait for this read without holding a thread (`FiguresGateMiddleware`).
final class StartupReads: Sendable {
    private let figuresState = Mutex<(read: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Starts the reads of a server's figures and its tiles' point index.
    static func begin(figures: CoverageAreaFiguresCache, tiles: TileService) -> StartupReads {
        begin(readingFigures: { _ = try? figures.latest() }, readingIndex: { try? tiles.warmAside() })
    }

    /// Starts `readingFigures`, then `readingIndex` at the lowest priority, on a thread of their own.
    static func begin(readingFigures: @escaping @Sendable () -> Void, readingIndex: @escaping @Sendable () -> Void) -> StartupReads {
        let reads = StartupReads()
        let thread = Thread {
            readingFigures()
            reads.figuresDone()
            ThreadPriority.lowerThisThread(to: ThreadPriority.lowest)
            readingIndex()
        }
        thread.name = "communitygrid start-up reads"
        thread.start()
        return reads
    }

    /// Whether the start-up read of the figures has finished (read, or failed: a request then reads them itself and
    /// answers the error).
    var figuresRead: Bool { figuresState.withLock { $0.read } }

    /// Returns once the start-up read of the figures has finished, suspended meanwhile (no thread held).
    func figures() async {
        if figuresRead { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = figuresState.withLock { state in
                if state.read { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func figuresDone() {
        let waiters = figuresState.withLock { state in
            state.read = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Paths whose answers carry the coverage figures: the map's summary and the tiles (and TileJSON) of the layers
    /// that carry their areas' figures, each layer's own and the all-layer `/tiles/…`.
    static func needsFigures(_ path: String) -> Bool {
        if path == "/coverage/summary" || path.hasPrefix("/tiles/WebMercatorQuad/") { return true }
        return figureTilePaths.contains { path.hasPrefix($0) }
    }

    private static let figureTilePaths = FeatureCollection.all.filter { TileRoutes.source($0).coverageAreas != nil }
        .map { "/collections/\($0.id)/tiles/WebMercatorQuad/" }
}

/// Holds a request whose answer carries the coverage figures until the start-up read of them has finished: suspended,
/// so the shared pool's threads stay free for every other request meanwhile.
struct FiguresGateMiddleware<Context: RequestContext>: RouterMiddleware {
    let reads: StartupReads

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !reads.figuresRead, StartupReads.needsFigures(request.uri.path) { await reads.figures() }
        return try await next(request, context)
    }
}
