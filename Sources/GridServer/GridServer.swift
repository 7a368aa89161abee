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
        router(state: ServerState(store: store, settings: settings), startup: startup)
    }

    /// The routes over `state` (its store and settings).
    static func router(state: ServerState, startup: (ServerState, TileService) -> StartupReads) -> Router<BasicRequestContext> {
        let settings = state.settings
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
        try application(state: ServerState(store: store, settings: settings), logger: logger, onServerRunning: onServerRunning)
    }

    static func application(
        state: ServerState, logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let store = state.store, settings = state.settings
        try GridRunRequests.failAbandoned(store: store)
        // A broken installation fails here, not at the first /api request.
        guard OpenAPIDocument.bytes != nil else { throw ServerResources.Missing(file: "openapi.json") }
        var logger = logger ?? Logger(label: "communitygrid.serve")
        if logger.logLevel > .info { logger.logLevel = .info }
        return Application(
            router: router(state: state) { state, tiles in StartupReads.begin(figures: state.coverageFigures, tiles: tiles) },
            server: httpServer(settings),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "communitygrid"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight; with `settings.reseed`, keeps the seeded
    /// file the store's meanwhile and stops that seeding (its temporary file removed) before returning.
    public static func serve(
        store: Store, settings: ServerSettings, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let state = ServerState(store: store, settings: settings)
        let application = try application(state: state, onServerRunning: onServerRunning)
        try await reseeding(state) { try await application.runService() }
    }

    /// Runs `body` with the state's background seeding (if any) going, and stops it after.
    static func reseeding<Value: Sendable>(_ state: ServerState, _ body: () async throws -> Value) async throws -> Value {
        guard let reseeder = state.reseeder else { return try await body() }
        reseeder.start()
        let value: Value
        do { value = try await body() } catch {
            reseeder.stop()
            throw error
        }
        reseeder.stop()
        return value
    }
}
