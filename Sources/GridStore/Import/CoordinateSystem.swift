import CProj
import Foundation
import GridModel

/// The coordinate system a planner's layer is written in: `--crs`, a GeoJSON `crs` member or a Shapefile `.prj`.
///
/// EPSG codes go through PROJ; GCJ-02 and BD-09 are not in PROJ and use the product's own transforms
/// (`ChinaCoordinates`). CGCS2000 (EPSG:4490) is taken as WGS84 as it is, as the HTTP API does: the two
/// frames differ by centimetres.
public enum CoordinateSystem: Hashable, Sendable, CustomStringConvertible {
    case wgs84
    case cgcs2000
    case gcj02
    case bd09
    /// Any other EPSG code PROJ knows (Gauss–Krüger zones, UTM, Web Mercator…).
    case epsg(Int)

    /// Reads `EPSG:NNNN`, `gcj02`, `bd09` (also `WGS84`, `CRS84`, and the OGC URN and URL spellings of EPSG codes
    /// and of this product's GCJ-02/BD-09 URNs). Nil when the text names none of them.
    public init?(code text: String) {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch name {
        case "gcj02", "gcj-02", "gcj_02", "urn:communitygrid:crs:gcj02": self = .gcj02; return
        case "bd09", "bd-09", "bd_09", "urn:communitygrid:crs:bd09": self = .bd09; return
        case "wgs84", "crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
             "http://www.opengis.net/def/crs/ogc/1.3/crs84", "https://www.opengis.net/def/crs/ogc/1.3/crs84":
            self = .wgs84; return
        default: break
        }
        // EPSG:N, urn:ogc:def:crs:EPSG::N (or :EPSG:6.6:N), http://www.opengis.net/def/crs/EPSG/0/N.
        let prefixes = ["epsg:", "urn:ogc:def:crs:epsg:", "http://www.opengis.net/def/crs/epsg/", "https://www.opengis.net/def/crs/epsg/"]
        guard let prefix = prefixes.first(where: { name.hasPrefix($0) }) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.split(whereSeparator: { $0 == ":" || $0 == "/" }).last.map(String.init) ?? ""
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int(digits),
              (1...999_999).contains(number) else { return nil }
        self.init(epsg: number)
    }

    public init(epsg number: Int) {
        switch number {
        case 4326: self = .wgs84
        case 4490: self = .cgcs2000
        default: self = .epsg(number)
        }
    }

    /// As `--crs` takes it.
    public var description: String {
        switch self {
        case .wgs84: "EPSG:4326"
        case .cgcs2000: "EPSG:4490"
        case .gcj02: "gcj02"
        case .bd09: "bd09"
        case .epsg(let number): "EPSG:\(number)"
        }
    }

    /// The name a GeoJSON `crs` member carries for it (OGC URN; this product's URN for GCJ-02 and BD-09).
    public var urn: String {
        switch self {
        case .wgs84: "urn:ogc:def:crs:OGC:1.3:CRS84"
        case .cgcs2000: "urn:ogc:def:crs:EPSG::4490"
        case .gcj02: "urn:communitygrid:crs:gcj02"
        case .bd09: "urn:communitygrid:crs:bd09"
        case .epsg(let number): "urn:ogc:def:crs:EPSG::\(number)"
        }
    }

    /// Positions are stored as they are.
    public var isWGS84Equivalent: Bool { self == .wgs84 || self == .cgcs2000 }
}

/// Converts positions between one `CoordinateSystem` and WGS84 [longitude, latitude]. One instance per import
/// or export (it owns a PROJ context, which must not be shared between threads).
public final class CoordinateTransform {
    public let system: CoordinateSystem
    /// The system's own name (PROJ's for EPSG codes).
    public let name: String
    /// True when positions are in degrees (geographic systems, GCJ-02, BD-09); false for metres.
    public let isGeographic: Bool
    private let proj: ProjTransformation?

    public init(_ system: CoordinateSystem) throws {
        self.system = system
        switch system {
        case .wgs84: (name, isGeographic, proj) = ("WGS 84", true, nil)
        case .cgcs2000: (name, isGeographic, proj) = ("China Geodetic Coordinate System 2000 (taken as WGS84)", true, nil)
        case .gcj02: (name, isGeographic, proj) = ("GCJ-02", true, nil)
        case .bd09: (name, isGeographic, proj) = ("BD-09", true, nil)
        case .epsg(let number):
            let transformation = try ProjTransformation(definition: "EPSG:\(number)")
            (name, isGeographic, proj) = (transformation.name, transformation.isGeographic, transformation)
        }
    }

    /// Decimal places that keep positions to 0.1 mm when written out.
    public var precision: Int { isGeographic ? 9 : 4 }

    /// A position of this system in WGS84; nil when PROJ cannot convert it (outside the system's area or not finite).
    public func toWGS84(_ c: Coordinate) -> Coordinate? {
        let result: Coordinate?
        switch system {
        case .wgs84, .cgcs2000: result = c
        case .gcj02: result = ChinaCoordinates.gcj02ToWGS84(c)
        case .bd09: result = ChinaCoordinates.gcj02ToWGS84(ChinaCoordinates.bd09ToGCJ02(c))
        case .epsg: result = proj?.convert(c, direction: PJ_FWD)
        }
        guard let result, result.longitude.isFinite, result.latitude.isFinite else { return nil }
        return result
    }

    /// A WGS84 position in this system; nil when PROJ cannot convert it.
    public func fromWGS84(_ c: Coordinate) -> Coordinate? {
        let result: Coordinate?
        switch system {
        case .wgs84, .cgcs2000: result = c
        case .gcj02: result = ChinaCoordinates.wgs84ToGCJ02(c)
        case .bd09: result = ChinaCoordinates.gcj02ToBD09(ChinaCoordinates.wgs84ToGCJ02(c))
        case .epsg: result = proj?.convert(c, direction: PJ_INV)
        }
        guard let result, result.longitude.isFinite, result.latitude.isFinite else { return nil }
        return result
    }

    /// Every position of `geometry` converted; nil when one of them cannot be.
    public func toWGS84(_ geometry: Geometry) -> Geometry? {
        var failed = false
        let converted = geometry.mappingCoordinates { c in
            if let wgs84 = toWGS84(c) { return wgs84 }
            failed = true
            return c
        }
        return failed ? nil : converted
    }

    public func fromWGS84(_ geometry: Geometry) -> Geometry? {
        var failed = false
        let converted = geometry.mappingCoordinates { c in
            if let output = fromWGS84(c) { return output }
            failed = true
            return c
        }
        return failed ? nil : converted
    }
}

/// One PROJ transformation from a CRS to WGS84, with axes in the order files use: longitude/easting first
/// (`proj_normalize_for_visualization`; EPSG itself puts latitude first for 4326 and northing first for the
/// CGCS2000 Gauss–Krüger zones).
final class ProjTransformation {
    private let context: OpaquePointer
    private let transformation: OpaquePointer
    let name: String
    let isGeographic: Bool

    init(definition: String) throws {
        guard let context = proj_context_create() else { throw StoreError.environment("PROJ: cannot create a context") }
        proj_log_level(context, PJ_LOG_NONE)
        func failure(_ what: String) -> StoreError {
            let code = proj_context_errno(context)
            let reason = code == 0 ? "" : ": " + String(cString: proj_context_errno_string(context, code))
            proj_context_destroy(context)
            return .badInput("\(what)\(reason)")
        }
        guard let crs = proj_create(context, definition) else { throw failure("PROJ does not know \(definition)") }
        let type = proj_get_type(crs)
        let name = proj_get_name(crs).map { String(cString: $0) } ?? definition
        proj_destroy(crs)
        switch type {
        case PJ_TYPE_GEOGRAPHIC_2D_CRS, PJ_TYPE_PROJECTED_CRS:
            break
        default:
            throw failure("\(definition) (\(name)) is not a two-dimensional geographic or projected coordinate system")
        }
        guard let raw = proj_create_crs_to_crs(context, definition, "EPSG:4326", nil) else {
            throw failure("PROJ has no transformation from \(definition) to WGS84")
        }
        defer { proj_destroy(raw) }
        guard let normalized = proj_normalize_for_visualization(context, raw) else {
            throw failure("PROJ cannot order the axes of \(definition)")
        }
        self.context = context
        self.transformation = normalized
        self.name = name
        self.isGeographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS
    }

    func convert(_ c: Coordinate, direction: PJ_DIRECTION) -> Coordinate? {
        let output = proj_trans(transformation, direction, proj_coord(c.longitude, c.latitude, 0, 0))
        let x = output.xy.x, y = output.xy.y
        // PROJ reports failure as HUGE_VAL.
        guard x.isFinite, y.isFinite, abs(x) < 1e30, abs(y) < 1e30 else {
            proj_errno_reset(transformation)
            return nil
        }
        return Coordinate(longitude: x, latitude: y)
    }

    deinit {
        proj_destroy(transformation)
        proj_context_destroy(context)
    }
}

extension CoordinateSystem {
    /// The system a Shapefile's `.prj` (WKT) names: its EPSG authority when it carries one, else the code PROJ
    /// identifies it as (ESRI's WKT has no authority), else nil.
    static func fromWKT(_ wkt: String) -> CoordinateSystem? {
        // WKT1 ends the top-level CRS with its own AUTHORITY, so the last one is the CRS's code.
        if let range = wkt.range(of: "AUTHORITY[\"EPSG\",", options: [.backwards, .caseInsensitive]) {
            let digits = wkt[range.upperBound...].drop { $0 == "\"" || $0 == " " }.prefix { $0.isNumber }
            if let number = Int(digits) { return CoordinateSystem(epsg: number) }
        }
        guard let context = proj_context_create() else { return nil }
        defer { proj_context_destroy(context) }
        proj_log_level(context, PJ_LOG_NONE)
        guard let crs = proj_create(context, wkt) else { return nil }
        defer { proj_destroy(crs) }
        if let authority = proj_get_id_auth_name(crs, 0), String(cString: authority).uppercased() == "EPSG",
           let code = proj_get_id_code(crs, 0), let number = Int(String(cString: code)) {
            return CoordinateSystem(epsg: number)
        }
        var confidences: UnsafeMutablePointer<Int32>?
        guard let matches = proj_identify(context, crs, "EPSG", nil, &confidences) else { return nil }
        defer {
            proj_list_destroy(matches)
            proj_int_list_destroy(confidences)
        }
        guard proj_list_get_count(matches) > 0, let confidences, confidences[0] >= 70,
              let best = proj_list_get(context, matches, 0) else { return nil }
        defer { proj_destroy(best) }
        guard let code = proj_get_id_code(best, 0), let number = Int(String(cString: code)) else { return nil }
        return CoordinateSystem(epsg: number)
    }
}
