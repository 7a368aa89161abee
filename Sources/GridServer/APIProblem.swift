import GridModel
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: `application/problem+json` with a stable `code` clients can switch on, and the
/// offending parameter when there is one. Messages never carry SQL text or a stack trace.
struct APIProblem: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var title: String
    var detail: String
    var parameter: String?
    var extraHeaders: HTTPFields = [:]

    static func badParameter(_ name: String, _ detail: String) -> APIProblem {
        APIProblem(status: .badRequest, code: "invalid-parameter", title: "Invalid parameter", detail: detail, parameter: name)
    }

    static func notFound(_ detail: String) -> APIProblem {
        APIProblem(status: .notFound, code: "not-found", title: "Not found", detail: detail)
    }

    static func badBody(_ detail: String, field: String? = nil) -> APIProblem {
        APIProblem(status: .badRequest, code: "invalid-body", title: "Invalid request body", detail: detail, parameter: field)
    }

    static func unauthorized(_ detail: String) -> APIProblem {
        var problem = APIProblem(status: .unauthorized, code: "unauthorized", title: "Unauthorized", detail: detail)
        problem.extraHeaders[.wwwAuthenticate] = "Bearer realm=\"communitygrid\""
        return problem
    }

    static func conflict(_ detail: String) -> APIProblem {
        APIProblem(status: .conflict, code: "conflict", title: "Conflict", detail: detail)
    }

    static func unprocessable(_ code: String, _ detail: String, parameter: String? = nil) -> APIProblem {
        APIProblem(status: .unprocessableContent, code: code, title: "Cannot process the request", detail: detail, parameter: parameter)
    }

    /// 503 with Retry-After: the work is refused now, not queued, so the client retries later.
    static func busy(_ code: String, _ detail: String, retryAfterSeconds: Int) -> APIProblem {
        var problem = APIProblem(status: .serviceUnavailable, code: code, title: "Server busy", detail: detail)
        problem.extraHeaders[.retryAfter] = String(retryAfterSeconds)
        return problem
    }

    static let storeLocked = busy("store-locked", "the store is locked by another writer (an import or a grids apply); try again shortly",
                                  retryAfterSeconds: 2)

    static let timeout = APIProblem(status: .serviceUnavailable, code: "timeout", title: "Request took too long",
                                    detail: "the request did not finish in time; ask for less (a smaller bbox, a lower limit, shorter contours)")

    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [String]) -> APIProblem {
        var problem = APIProblem(status: .methodNotAllowed, code: "method-not-allowed", title: "Method not allowed",
                                 detail: "\(path) does not take \(method.rawValue); it takes \(allowed.joined(separator: ", "))")
        problem.extraHeaders[.allow] = allowed.joined(separator: ", ")
        return problem
    }

    static let internalError = APIProblem(
        status: .internalServerError, code: "internal-error", title: "Internal error",
        detail: "the server failed to answer; the error is in its log")

    var body: [UInt8] {
        var object: [String: JSONValue] = [
            "type": .string("https://communitygrid.invalid/problems/\(code)"),
            "title": .string(title), "status": .number(Double(status.code)), "detail": .string(detail), "code": .string(code),
        ]
        if let parameter { object["parameter"] = .string(parameter) }
        return Array(GeoJSON.encode(.object(object)).utf8)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        let bytes = body
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
