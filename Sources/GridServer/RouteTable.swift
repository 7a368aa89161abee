import Hummingbird
import Synchronization

/// The paths the router serves and the methods each takes, for `405 Method Not Allowed` with `Allow`
/// (RFC 9110, 15.5.6). Filled once after every route is registered; read by the outermost middleware.
final class RouteTable: Sendable {
    private struct Route {
        /// Path segments; "{name}" and "*" match one segment, "**" the rest.
        var segments: [Substring]
        var methods: Set<String>
    }
    private let routes = Mutex<[Route]>([])

    func fill(from router: Router<BasicRequestContext>) {
        var byPath: [String: Set<String>] = [:]
        for route in router.routes {
            byPath[route.path.description, default: []].insert(route.method.rawValue)
        }
        let table = byPath.map { path, methods in
            // Every GET answers HEAD too (the router generates it).
            Route(segments: path.split(separator: "/"), methods: methods.contains("GET") ? methods.union(["HEAD"]) : methods)
        }
        routes.withLock { $0 = table }
    }

    /// The methods served at `path`, in a fixed order; nil when no route matches it.
    func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/")
        let matching = routes.withLock { routes in routes.filter { Self.matches($0.segments, parts) }.map(\.methods) }
        guard !matching.isEmpty else { return nil }
        let all = matching.reduce(into: Set<String>()) { $0.formUnion($1) }
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return order.filter(all.contains) + all.subtracting(order).sorted()
    }

    private static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        for (index, segment) in pattern.enumerated() {
            if segment == "**" { return parts.count > index }
            guard index < parts.count else { return false }
            if segment == "*" || (segment.hasPrefix("{") && segment.hasSuffix("}")) { continue }
            if segment != parts[index] { return false }
        }
        return pattern.count == parts.count
    }
}
