import Foundation
import GridModel
import GridStore
import HTTPTypes
import Hummingbird

/// OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference).
struct FeatureRoutes: Sendable {
    let state: ServerState

    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/conformance") { request, _ in
            Responses.json(.object(["conformsTo": .array((Self.conformance + TileRoutes.conformance).map(JSONValue.string)),
                                    "links": .array([Self.link(Responses.base(request) + "/conformance", "self", Responses.json, "Conformance classes")])]),
                           request: request)
        }
        // Routes that read the store answer on `StoreReadThreads`, in the order they came, beside the tiles.
        router.get("/collections") { request, _ in
            try await StoreReadThreads.run {
                let base = Responses.base(request)
                let collections = try FeatureCollection.listed.map { try self.describe($0, base: base) }
                return Responses.json(.object([
                    "links": .array([Self.link(base + "/collections", "self", Responses.json, "Collections")]),
                    "collections": .array(collections),
                    "crs": .array(CoordinateReferenceSystem.allCases.map { .string($0.uri) }),
                ]), request: request)
            }
        }
        router.get("/collections/:collectionId") { request, context in
            let collection = try Self.listedCollection(context)
            return try await StoreReadThreads.run { Responses.json(try self.describe(collection, base: Responses.base(request)), request: request) }
        }
        router.get("/collections/:collectionId/queryables") { request, context in
            let collection = try Self.listedCollection(context)
            var properties: [String: JSONValue] = [:]
            for property in collection.properties where property.queryable {
                properties[property.name] = .object(["type": .string(property.type.rawValue), "description": .string(property.description)])
            }
            return Responses.bytes(Array(GeoJSON.encode(.object([
                "$schema": "https://json-schema.org/draft/2019-09/schema",
                "$id": .string(Responses.base(request) + "/collections/\(collection.id)/queryables"),
                "type": "object", "title": .string(collection.title), "properties": .object(properties),
            ])).utf8), contentType: "application/schema+json", request: request)
        }
        router.get("/collections/:collectionId/items") { request, context in
            let collection = try Self.listedCollection(context)
            return try await StoreReadThreads.run { try self.items(request, collection: collection) }
        }
        router.get("/collections/:collectionId/items/:featureId") { request, context in
            let collection = try Self.listedCollection(context)
            let featureID = context.parameters.get("featureId") ?? ""
            return try await StoreReadThreads.run { try self.feature(request, featureID: featureID, collection: collection) }
        }
    }

    /// One page of a collection's features (the cases' route calls it too).
    func items(_ request: Request, collection: FeatureCollection) throws -> Response {
        let parameters = Array(request.uri.queryParameters)
        let query = try ItemsQuery.parse(collection: collection, parameters: parameters, limits: state.settings.limits)
        let page = try state.features.page(query)
        let base = Responses.base(request)
        let itemsURL = base + "/collections/\(collection.id)/items"
        var links = [Self.link(itemsURL + Self.queryString(parameters), "self", Responses.geoJSON, "This page"),
                     Self.link(base + "/collections/\(collection.id)", "collection", Responses.json, collection.title)]
        if let next = page.nextOffset {
            links.append(Self.link(itemsURL + Self.queryString(parameters, offset: next, limit: query.limit),
                                   "next", Responses.geoJSON, "Next page"))
        }
        if let previous = page.previousOffset {
            links.append(Self.link(itemsURL + Self.queryString(parameters, offset: previous, limit: query.limit),
                                   "prev", Responses.geoJSON, "Previous page"))
        }
        var body: [UInt8] = []
        body.reserveCapacity(page.features.count + 600)
        body.append(contentsOf: #"{"type":"FeatureCollection","features":["#.utf8)
        body.append(contentsOf: page.features)
        body.append(contentsOf: #"],"numberMatched":\#(page.numberMatched),"numberReturned":\#(page.numberReturned),"links":"#.utf8)
        GeoJSON.appendJSON(.array(links), to: &body)
        body.append(UInt8(ascii: "}"))
        return Responses.bytes(body, contentType: Responses.geoJSON, request: request,
                               headers: [.contentCRS: "<\(query.crs.uri)>"])
    }

    func feature(_ request: Request, featureID text: String, collection: FeatureCollection) throws -> Response {
        guard let id = BodyNumbers.id(text) else {
            throw APIProblem.notFound("\(collection.id) has no feature \"\(text)\"; feature ids are whole numbers")
        }
        var crs = CoordinateReferenceSystem.crs84
        for (key, value) in request.uri.queryParameters {
            switch key {
            case "crs":
                guard let given = CoordinateReferenceSystem(uri: String(value)) else { throw ItemsQuery.unknownCRS("crs", String(value)) }
                crs = given
            case "f":
                guard ["json", "geojson"].contains(value) else { throw APIProblem.badParameter("f", "f must be json or geojson, not \"\(value)\"") }
            default:
                throw APIProblem.badParameter(String(key), "unknown parameter \"\(key)\" for a single feature; accepted: crs, f")
            }
        }
        guard var feature = try state.features.feature(in: collection, id: id, crs: crs) else {
            throw APIProblem.notFound("\(collection.id) has no feature \(id)")
        }
        let base = Responses.base(request)
        // Splice links into the Feature object written by the reader (it ends with "}").
        feature.removeLast()
        feature.append(contentsOf: #","links":"#.utf8)
        GeoJSON.appendJSON(.array([
            Self.link(base + "/collections/\(collection.id)/items/\(id)", "self", Responses.geoJSON, "This feature"),
            Self.link(base + "/collections/\(collection.id)", "collection", Responses.json, collection.title),
        ]), to: &feature)
        feature.append(UInt8(ascii: "}"))
        return Responses.bytes(feature, contentType: Responses.geoJSON, request: request, headers: [.contentCRS: "<\(crs.uri)>"])
    }

    /// A collection `/collections` lists: a layer or the cases.
    static func listedCollection(_ context: BasicRequestContext) throws -> FeatureCollection {
        let id = context.parameters.get("collectionId") ?? ""
        guard let collection = FeatureCollection.listed(named: id) else {
            throw APIProblem.notFound("no collection \"\(id)\"; collections: \(FeatureCollection.listed.map(\.id).joined(separator: ", "))")
        }
        return collection
    }

    static func collection(_ context: BasicRequestContext) throws -> FeatureCollection {
        let id = context.parameters.get("collectionId") ?? ""
        guard let collection = FeatureCollection.named(id) else {
            throw APIProblem.notFound("no collection \"\(id)\"; collections: \(FeatureCollection.all.map(\.id).joined(separator: ", "))")
        }
        return collection
    }

    func describe(_ collection: FeatureCollection, base: String) throws -> JSONValue {
        let extent = try state.features.extent(of: collection)
        let url = base + "/collections/\(collection.id)"
        var object: [String: JSONValue] = [
            "id": .string(collection.id), "title": .string(collection.title), "description": .string(collection.description),
            "itemType": "feature",
            "links": .array([
                Self.link(url, "self", Responses.json, collection.title),
                Self.link(url + "/items", "items", Responses.geoJSON, "Features"),
                Self.link(url + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "Queryable properties"),
            ]),
            "crs": .array(CoordinateReferenceSystem.allCases.map { .string($0.uri) }),
            "storageCrs": .string(CoordinateReferenceSystem.crs84.uri),
        ]
        if let extent {
            let box = [extent.minLongitude, extent.minLatitude, extent.maxLongitude, extent.maxLatitude]
            object["extent"] = .object(["spatial": .object([
                "bbox": .array([.array(box.map(JSONValue.number))]),
                "crs": .string(CoordinateReferenceSystem.crs84.uri),
            ])])
        }
        return .object(object)
    }

    static func link(_ href: String, _ rel: String, _ type: String, _ title: String) -> JSONValue {
        .object(["href": .string(href), "rel": .string(rel), "type": .string(type), "title": .string(title)])
    }

    /// The request's own parameters, with offset and limit replaced when given.
    static func queryString(_ parameters: [(key: Substring, value: Substring)], offset: Int? = nil, limit: Int? = nil) -> String {
        var items = parameters.filter { offset == nil || ($0.key != "offset" && $0.key != "limit") }.map { (String($0.key), String($0.value)) }
        if let offset, let limit { items += [("limit", String(limit)), ("offset", String(offset))] }
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~,:")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

extension HTTPField.Name {
    static let contentCRS = HTTPField.Name("Content-Crs")!
}
