import Foundation

/// The OpenAPI 3.0 description served at `/api`: Resources/openapi.json, kept as the published document reads;
/// responses and parameters used by several operations are `components` referenced by `$ref`. Tests check it with a
/// validator, against the router's routes (both ways), and that its defaults and collection ids are the code's.
enum OpenAPIDocument {
    static let contentType = "application/vnd.oai.openapi+json;version=3.0"

    /// The document's bytes, read once from the target's resources (the server reads them at start).
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            fatalError("openapi.json is missing from the GridServer resources beside the executable (CommunityGrid_GridServer.resources)")
        }
        return Array(data)
    }()
}
