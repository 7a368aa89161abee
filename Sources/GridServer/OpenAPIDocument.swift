import Foundation

/// The OpenAPI 3.0 description served at `/api`: Resources/openapi.json, kept as the published document reads;
/// responses and parameters used by several operations are `components` referenced by `$ref`. Tests check it with a
/// validator, against the router's routes (both ways), and that its defaults and collection ids are the code's.
enum OpenAPIDocument {
    static let contentType = "application/vnd.oai.openapi+json;version=3.0"

    /// The document's bytes, read once from the server's resources; nil when the installation lacks the file (the
    /// server refuses to start then).
    static let bytes: [UInt8]? = ServerResources.data("openapi.json").map(Array.init)
}
