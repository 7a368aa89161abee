import Foundation
import GridStore
import HTTPTypes
import Hummingbird
import Logging

/// Outermost: times every request and counts it by route, method and status; turns every error into
/// problem+json, so clients never see a framework's plain-text error, SQL or a stack trace.
struct ProblemAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics
    /// The served paths and their methods, filled once every route is registered: a known path asked with
    /// another method answers 405 with `Allow` rather than 404.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, request: request, logger: context.logger)
            if problem.status == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound",
               let allowed = routes.methods(for: request.uri.path), !allowed.isEmpty {
                problem = APIProblem.methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
            }
            response = try problem.response(from: request, context: context)
        }
        let route = context.endpointPath ?? (response.status == .notFound ? "unmatched" : request.uri.path)
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    static func problem(for error: any Error, request: Request, logger: Logger) -> APIProblem {
        // The store's and the analysis' typed errors are mapped in one place (ProblemMapping); a lock there is
        // another process's write (an import, a grids apply from the command line).
        if !(error is APIProblem), let mapped = ProblemMapping.problem(for: error, logger: logger, path: request.uri.path) { return mapped }
        switch error {
        case let problem as APIProblem:
            return problem
        case let error as HTTPError:
            if error.status == .notFound {
                return APIProblem.notFound("no resource at \(request.uri.path); see /api for the paths served")
            }
            if error.status == .contentTooLarge {
                return APIProblem(status: .contentTooLarge, code: "body-too-large", title: "Request body too large",
                                  detail: error.body ?? "the request body is larger than the server accepts")
            }
            return APIProblem(status: error.status, code: "http-\(error.status.code)", title: error.status.reasonPhrase,
                              detail: error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            return APIProblem(status: error.status, code: "http-\(error.status.code)", title: error.status.reasonPhrase,
                              detail: error.status.reasonPhrase)
        default:
            logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string(String(describing: error))])
            return .internalError
        }
    }
}

/// Gives every request a deadline. Long loops (feature encoding, isochrone searches) check it and stop with a
/// 503 problem; every query is also bounded on its own (bbox area, limit, body size, contour length).
struct DeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    let seconds: Double

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await RequestDeadline.$current.withValue(ContinuousClock.now + .seconds(seconds)) {
            try await next(request, context)
        }
    }
}

enum RequestDeadline {
    @TaskLocal static var current: ContinuousClock.Instant?

    static var passed: Bool {
        guard let current else { return false }
        return ContinuousClock.now > current
    }

    static func check() throws {
        if passed { throw APIProblem.timeout }
    }
}

/// Fixed CORS headers for one allowed origin (or "*"), with preflight answers.
struct CORSHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let origin: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, If-None-Match"
            headers[.accessControlMaxAge] = "3600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = "ETag, Content-Crs, Location"
        if origin != "*" {
            // Keep Vary: Accept-Encoding set by the response builder.
            response.headers[.vary] = response.headers[.vary].map { $0 + ", Origin" } ?? "Origin"
        }
        return response
    }
}

/// Bearer-token check for writes; the comparison takes the same time wherever the tokens differ.
enum WriteAuthorization {
    static func check(_ request: Request, token: String?) throws {
        guard let token else {
            throw APIProblem(status: .forbidden, code: "writes-disabled", title: "Writes are disabled",
                             detail: "this server was started without a write token (COMMUNITYGRID_TOKEN or --token-file)")
        }
        guard let header = request.headers[.authorization] else {
            throw APIProblem.unauthorized("this request changes data and needs Authorization: Bearer <token>")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) else {
            throw APIProblem.unauthorized("the bearer token is not the server's write token")
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
