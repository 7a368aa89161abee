import Foundation
import GridModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

extension ApplicationProtocol {
    /// The application on a real socket of 127.0.0.1 (as `.test(.live)` starts it), asked through a client whose
    /// requests may take `timeout`: `.live`'s own client gives every request 20 s and cannot be told otherwise, which a
    /// wide query or a request beside a software-rendering browser on a loaded machine can outlast.
    func testLive<Value>(timeout: Duration = .seconds(300), _ test: @Sendable (LiveClient) async throws -> Value) async throws -> Value {
        try await self.test(.live) { framework in
            try await test(LiveClient(serverPort: try #require(framework.port), timeout: timeout))
        }
    }
}

/// A client of the live server, asking as `.live`'s client asks (same headers and authority). Each request has a
/// connection of its own: a test that waits minutes for a browser between two requests cannot meet the server's idle
/// deadline.
struct LiveClient: Sendable {
    let serverPort: Int
    let timeout: Duration
    /// As `.live`'s client says it.
    var port: Int? { serverPort }

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> LiveResponse {
        var headers = headers
        headers[.connection] = "keep-alive"
        let request = TestClient.Request(uri, method: method, authority: "localhost", headers: headers, body: body)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: serverPort, configuration: .init(timeout: timeout)) { client in
            try await client.execute(request)
        }
        return LiveResponse(head: response.head, body: response.body ?? ByteBuffer())
    }
}

/// A response of the live server, read as a `TestResponse` is.
struct LiveResponse: Sendable {
    let head: HTTPResponse
    let body: ByteBuffer
    var status: HTTPResponse.Status { head.status }
    var headers: HTTPFields { head.headerFields }
    var text: String { String(buffer: body) }

    var json: JSONValue {
        get throws { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }
}
