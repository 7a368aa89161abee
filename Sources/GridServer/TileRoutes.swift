import Foundation
import GridModel
import GridStore
import GridTiles
import Hummingbird

/// OGC API – Tiles (OGC 20-057): Mapbox Vector Tiles of each collection in the WebMercatorQuad tile matrix set,
/// its tileset metadata, a TileJSON 3.0 document for MapLibre and others, and `/tiles/…` with every layer at once.
/// Paths take `{z}/{y}/{x}` (tile matrix, row, column) as OGC writes them; QGIS and other XYZ clients take the
/// same URL as a template, since they substitute the placeholders by name.
struct TileRoutes: Sendable {
    let state: ServerState
    let tiles: TileService

    init(state: ServerState) {
        self.state = state
        tiles = state.tiles
        // The coverage figures and the buildings' point index are read at start by `StartupReads`.
    }

    static let mvt = "application/vnd.mapbox-vector-tile"
    static let matrixSet = "WebMercatorQuad"
    static let matrixSetURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    ]
    /// Zooms the metadata advertises; any zoom up to `TileAddress.maximumZoom` is served.
    static let minimumZoom = 0
    static let advertisedMaximumZoom = 20

    /// The collection as a tile layer: the same properties, by the same expressions, as its items.
    static func source(_ collection: FeatureCollection) -> TileLayerSource { TileLayerSource(collection: collection) }
    /// The first zoom whose tiles hold the layer's features (grids: `TileLayerSource.gridsFromZoom`).
    static func minimumZoom(_ collection: FeatureCollection) -> Int { max(minimumZoom, source(collection).drawnFromZoom) }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/collections/:collectionId/tiles") { request, context in
            let collection = try FeatureRoutes.collection(context)
            let base = Responses.base(request) + "/collections/\(collection.id)"
            return Responses.json(.object([
                "links": .array([FeatureRoutes.link(base + "/tiles", "self", Responses.json, "Tilesets of \(collection.title)")]),
                "tilesets": .array([try tilesetSummary(base: base, title: collection.title)]),
            ]), request: request)
        }
        // The tileset and TileJSON read the layers' extent (and TileJSON the coverage fields): on `StoreReadThreads`, as tiles.
        router.get("/collections/:collectionId/tiles/WebMercatorQuad") { request, context in
            let collection = try FeatureRoutes.collection(context)
            return try await StoreReadThreads.run {
                Responses.json(try tileset(base: Responses.base(request) + "/collections/\(collection.id)", collections: [collection]),
                               request: request)
            }
        }
        router.get("/collections/:collectionId/tiles/WebMercatorQuad/tilejson") { request, context in
            let collection = try FeatureRoutes.collection(context)
            return try await StoreReadThreads.run {
                Responses.json(try tileJSON(request, base: Responses.base(request) + "/collections/\(collection.id)", collections: [collection]),
                               request: request)
            }
        }
        router.get("/collections/:collectionId/tiles/WebMercatorQuad/:tileMatrix/:tileRow/:tileCol") { request, context in
            let collection = try FeatureRoutes.collection(context)
            return try await tile(request, context, [collection])
        }
        router.get("/tiles") { request, _ in
            let base = Responses.base(request)
            return Responses.json(.object([
                "links": .array([FeatureRoutes.link(base + "/tiles", "self", Responses.json, "Tilesets of every layer")]),
                "tilesets": .array([try tilesetSummary(base: base, title: "Every layer")]),
            ]), request: request)
        }
        router.get("/tiles/WebMercatorQuad") { request, _ in
            try await StoreReadThreads.run {
                Responses.json(try tileset(base: Responses.base(request), collections: FeatureCollection.all), request: request)
            }
        }
        router.get("/tiles/WebMercatorQuad/tilejson") { request, _ in
            try await StoreReadThreads.run {
                Responses.json(try tileJSON(request, base: Responses.base(request), collections: FeatureCollection.all), request: request)
            }
        }
        router.get("/tiles/WebMercatorQuad/:tileMatrix/:tileRow/:tileCol") { request, context in
            try await tile(request, context, FeatureCollection.all)
        }
    }

    /// `datum=wgs84` (default) or `datum=gcj02`: the coordinates the tile is drawn in.
    static func datum(_ request: Request, accepting extra: Set<String> = []) throws -> TileDatum {
        var datum = TileDatum.wgs84
        for (key, value) in request.uri.queryParameters {
            switch key {
            case "datum":
                guard let given = TileDatum(rawValue: String(value)) else {
                    throw APIProblem.badParameter("datum", "datum must be wgs84 or gcj02 (AMap, Tencent), not \"\(value)\"")
                }
                datum = given
            case "f" where extra.contains("f"):
                guard ["json", "mvt"].contains(value) else { throw APIProblem.badParameter("f", "f must be mvt, not \"\(value)\"") }
            default:
                throw APIProblem.badParameter(String(key), "unknown parameter \"\(key)\"; accepted: datum")
            }
        }
        return datum
    }

    func tile(_ request: Request, _ context: BasicRequestContext, _ collections: [FeatureCollection]) async throws -> Response {
        let datum = try Self.datum(request)
        func number(_ name: String, _ meaning: String) throws -> Int {
            let text = context.parameters.get(name) ?? ""
            guard let value = Int(text), (0...(1 << TileAddress.maximumZoom)).contains(value) else {
                throw APIProblem.notFound("no tile: \(meaning) \"\(text)\" is not a whole number from 0 to 2^z − 1")
            }
            return value
        }
        let z = try number("tileMatrix", "tile matrix (zoom)"), y = try number("tileRow", "tile row"), x = try number("tileCol", "tile column")
        guard z <= TileAddress.maximumZoom else {
            throw APIProblem.notFound("no tile: zoom \(z) is beyond \(TileAddress.maximumZoom), the deepest WebMercatorQuad level served")
        }
        guard let address = TileAddress(z: z, x: x, y: y) else {
            throw APIProblem.notFound("no tile \(z)/\(y)/\(x): at zoom \(z) rows and columns run from 0 to \((1 << z) - 1)")
        }
        let wantsGzip = Responses.acceptsGzip(request)
        let tiles = tiles
        let sources = collections.map(Self.source)
        let served = try await StoreReadThreads.run {
            try tiles.servedTile(sources, address, datum: datum, wantsGzip: wantsGzip)
        }
        // A client taking gzip gets the tile with its gzip bytes worked out (`wantsGzip`), so their tag is known.
        return Responses.represented(served.body, etag: served.etag ?? Responses.etag(served.body), gzipETag: served.gzipETag,
                                     gzipped: { served.gzipWorkedOut ? served.gzip : Self.represent.gzip(served.body) },
                                     contentType: Self.mvt, request: request, acceptsGzip: wantsGzip)
    }

    /// A tile's ETag and gzip bytes, once per tile: the service keeps them with the tile. Compressed at the fastest
    /// level, as `tiles seed` stores them (a tile is compressed once and sent many times; the level costs more CPU
    /// than drawing a street-level tile and saves a few per cent of its bytes). A seeded tile's gzip bytes are the
    /// file's (one gzip member of exactly the tile), not compressed again. The gzip bytes' tag is their own hash, so
    /// two servers sending different gzip bytes of one tile (seeded and drawn) never send them under one tag.
    static let represent = TileRepresentation(
        etag: { Responses.etag($0) },
        gzip: { $0.count >= Responses.gzipFromBytes ? Gzip.compress($0, level: gzipLevel) : nil },
        compresses: { $0 >= Responses.gzipFromBytes },
        gzipETag: { Responses.etag($0) + Responses.gzipTagSuffix })

    static let gzipLevel: Int32 = 1

    func tilesetSummary(base: String, title: String) throws -> JSONValue {
        .object([
            "title": .string(title), "dataType": "vector", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "tileMatrixSetURI": .string(Self.matrixSetURI),
            "links": .array([
                FeatureRoutes.link(base + "/tiles/WebMercatorQuad", "self", Responses.json, "\(title), WebMercatorQuad"),
                FeatureRoutes.link(Self.matrixSetURI, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Responses.json, "WebMercatorQuad"),
            ]),
        ])
    }

    /// The box of the layers' features, nil when all are empty.
    func extent(_ collections: [FeatureCollection]) throws -> BoundingBox? {
        var box: BoundingBox?
        for collection in collections {
            guard let extent = try tiles.extent(Self.source(collection)) else { continue }
            if box == nil { box = extent } else {
                box!.include(Coordinate(longitude: extent.minLongitude, latitude: extent.minLatitude))
                box!.include(Coordinate(longitude: extent.maxLongitude, latitude: extent.maxLatitude))
            }
        }
        return box
    }

    /// OGC API – Tiles tileset metadata (the `tileset` conformance class), with the tile URL template.
    func tileset(base: String, collections: [FeatureCollection]) throws -> JSONValue {
        let template = base + "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
        var object: [String: JSONValue] = [
            "title": .string(collections.count == 1 ? collections[0].title : "Every layer"),
            "dataType": "vector", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "tileMatrixSetURI": .string(Self.matrixSetURI),
            "links": .array([
                FeatureRoutes.link(base + "/tiles/WebMercatorQuad", "self", Responses.json, "This tileset"),
                FeatureRoutes.link(Self.matrixSetURI, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Responses.json, "WebMercatorQuad"),
                .object(["href": .string(template), "rel": "item", "type": .string(Self.mvt), "templated": true,
                         "title": "Mapbox Vector Tile (add ?datum=gcj02 for AMap or Tencent base maps)"]),
                FeatureRoutes.link(base + "/tiles/WebMercatorQuad/tilejson", "describedby", Responses.json, "TileJSON 3.0"),
            ]),
            "layers": .array(collections.map { collection in
                .object([
                    "id": .string(collection.id), "title": .string(collection.title), "description": .string(collection.description),
                    "dataType": "vector", "geometryType": .string(Self.geometryType(collection)),
                    "minTileMatrix": .string(String(Self.minimumZoom(collection))),
                    "propertiesSchema": .object(["type": "object", "properties": .object(Dictionary(uniqueKeysWithValues: collection.properties.map {
                        ($0.name, JSONValue.object(["type": .string($0.type.rawValue), "description": .string($0.description)]))
                    }))]),
                ])
            }),
            "xyzTemplate": .string(base + "/tiles/WebMercatorQuad/{z}/{y}/{x}"),
        ]
        if let box = try extent(collections) {
            object["boundingBox"] = .object([
                "lowerLeft": .array([.number(box.minLongitude), .number(box.minLatitude)]),
                "upperRight": .array([.number(box.maxLongitude), .number(box.maxLatitude)]),
                "crs": .string(CoordinateReferenceSystem.crs84.uri),
            ])
        }
        return .object(object)
    }

    static func geometryType(_ collection: FeatureCollection) -> String {
        switch collection.geometryType {
        case "Point": "points"
        case "LineString": "curves"
        default: "surfaces"
        }
    }

    /// A layer's fields as TileJSON names their types; the buildings' with those of the cells of merged small buildings.
    static func fields(_ collection: FeatureCollection, levels: [String], requirements: [CoverageAreaFigures.Theme]) -> [String: JSONValue] {
        var fields = Dictionary(uniqueKeysWithValues: collection.properties.map {
            ($0.name, JSONValue.string($0.type == .string ? "String" : $0.type == .boolean ? "Boolean" : "Number"))
        })
        if source(collection).lowZoomWayProperty != nil {
            for field in TileLayerSource.networkWayFields { fields[field.name] = .string("Number") }
        }
        if source(collection).mergesSmallBuildings {
            for field in TileLayerSource.mergedBuildingFields(levels: levels, requirements: requirements) { fields[field.name] = .string(field.type == .string ? "String" : "Number") }
        }
        return fields
    }

    /// TileJSON 3.0.0: what MapLibre GL and other web clients read to add the tiles as a vector source.
    func tileJSON(_ request: Request, base: String, collections: [FeatureCollection]) throws -> JSONValue {
        let datum = try Self.datum(request)
        let suffix = datum == .wgs84 ? "" : "?datum=\(datum.rawValue)"
        let levels = try tiles.coverageLevels()
        let figures = try tiles.areaFigures.latest()
        let areaFields = figures?.tilePropertyNames ?? []
        var object: [String: JSONValue] = [
            "tilejson": "3.0.0",
            "name": .string(collections.count == 1 ? collections[0].title : "CommunityGrid"),
            "tiles": .array([.string(base + "/tiles/WebMercatorQuad/{z}/{y}/{x}" + suffix)]),
            "scheme": "xyz",
            "minzoom": .number(Double(Self.minimumZoom)), "maxzoom": .number(Double(Self.advertisedMaximumZoom)),
            "attribution": "© OpenStreetMap contributors (ODbL) where the data comes from OpenStreetMap",
            "vector_layers": .array(collections.map { collection in
                .object([
                    "id": .string(collection.id), "description": .string(collection.description),
                    "minzoom": .number(Double(Self.minimumZoom(collection))), "maxzoom": .number(Double(Self.advertisedMaximumZoom)),
                    "fields": .object(Self.fields(collection, levels: levels, requirements: figures?.themes ?? []).merging(
                        Self.source(collection).coverageAreas == nil ? [] : areaFields.map { ($0, "Number") }) { kept, _ in kept }),
                ])
            }),
        ]
        if let box = try extent(collections) {
            object["bounds"] = .array([box.minLongitude, box.minLatitude, box.maxLongitude, box.maxLatitude].map(JSONValue.number))
            object["center"] = .array([.number((box.minLongitude + box.maxLongitude) / 2), .number((box.minLatitude + box.maxLatitude) / 2), 14])
        }
        return .object(object)
    }
}
