import Foundation
import GridStore
import Hummingbird
import HummingbirdCore
import Logging

/// The HTTP API over one store: OGC API – Features collections, coverage, isochrones, grid runs and the map page.
public enum GridServer {
    /// All routes and middleware, ready to serve or to test without a socket.
    public static func router(store: Store, settings: ServerSettings) -> Router<BasicRequestContext> {
        router(store: store, settings: settings) { state, tiles in StartupReads.begin(figures: state.coverageFigures, tiles: tiles) }
    }

    /// The router with what `startup` begins reading as the server starts.
    static func router(store: Store, settings: ServerSettings,
                       startup: (ServerState, TileService) -> StartupReads) -> Router<BasicRequestContext> {
        let state = ServerState(store: store, settings: settings)
        let tileRoutes = TileRoutes(state: state)
        let startup = startup(state, tileRoutes.tiles)
        let routes = RouteTable()
        // Every GET also answers HEAD (same headers, no body).
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ProblemAndMetricsMiddleware(metrics: state.metrics, routes: routes))
        if let origin = settings.corsOrigin { router.add(middleware: CORSHeadersMiddleware(origin: origin)) }
        router.add(middleware: DeadlineMiddleware(seconds: settings.limits.requestTimeoutSeconds))
        router.add(middleware: FiguresGateMiddleware(reads: startup))
        FeatureRoutes(state: state).register(on: router)
        AnalysisRoutes(state: state).register(on: router)
        RunRoutes(state: state).register(on: router)
        PageRoutes(state: state).register(on: router)
        MapRoutes(state: state).register(on: router)
        tileRoutes.register(on: router)
        CaseRoutes(state: state).register(on: router)
        Open311Routes(state: state, network: CaseNetworkHolder(state: state)).register(on: router)
        routes.fill(from: router)
        return router
    }

    /// HTTP/1.1 with the connection deadlines of `settings.connection` (slow and idle clients are closed).
    public static func httpServer(_ settings: ServerSettings) -> HTTPServerBuilder {
        let limits = settings.connection
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), limits: limits)
        }
    }

    /// A server bound to `settings.host:port`; `onServerRunning` gets the bound port (useful with port 0).
    public static func application(
        store: Store, settings: ServerSettings, logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try GridRunRequests.failAbandoned(store: store)
        // A broken installation fails here, not at the first /api request.
        guard OpenAPIDocument.bytes != nil else { throw ServerResources.Missing(file: "openapi.json") }
        var logger = logger ?? Logger(label: "communitygrid.serve")
        if logger.logLevel > .info { logger.logLevel = .info }
        return Application(
            router: router(store: store, settings: settings),
            server: httpServer(settings),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "communitygrid"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight.
    public static func serve(
        store: Store, settings: ServerSettings, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await application(store: store, settings: settings, onServerRunning: onServerRunning).runService()
    }
}
