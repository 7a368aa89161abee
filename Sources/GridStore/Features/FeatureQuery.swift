import Foundation
import GridModel

/// One page of one collection's features, as a front end asks for it: every name already looked up in the
/// collection's descriptor, every value already of its property's type.
public struct FeatureQuery: Sendable {
    public enum SortKey: Sendable { case ascending(FeatureCollection.Property), descending(FeatureCollection.Property) }

    /// A filter value of the property's type.
    public enum Value: Sendable, Hashable {
        case integer(Int64), number(Double), string(String), boolean(Bool)
    }

    /// `property = value`; for `coverage_met`, true means every level of the run's profile is met.
    public struct Filter: Sendable {
        public var property: FeatureCollection.Property
        public var value: Value
        public init(_ property: FeatureCollection.Property, _ value: Value) {
            self.property = property
            self.value = value
        }
    }

    public var collection: FeatureCollection
    /// Exact: features whose geometry intersects the box. Any size: a box wider than the data pages like no box.
    public var bbox: BoundingBox?
    /// CRS the bbox was given in (the box itself stays in that CRS for the exact test).
    public var bboxCRS: CoordinateReferenceSystem = .crs84
    public var limit: Int
    public var offset = 0
    /// Properties to return, in order; nil = all.
    public var properties: [FeatureCollection.Property]?
    public var sortBy: [SortKey] = []
    public var filters: [Filter] = []

    /// A filter of the cases collection that is not one property's equality (see `FeatureCollection.Parameter`).
    public enum CaseCondition: Sendable, Hashable {
        /// open, closed (closed or void), or one state's name.
        case status(String)
        /// Open and past the running step's deadline at `now`.
        case overdue
    }
    public var caseConditions: [CaseCondition] = []
    /// The instant the request is answered at (Unix seconds): cases' lights and overdue flags are judged at it.
    public var now = Int64(Date().timeIntervalSince1970)
    /// CRS of the returned geometries.
    public var crs: CoordinateReferenceSystem = .crs84
    /// Reading stops with `StoreError.deadlinePassed` after this instant.
    public var deadline: ContinuousClock.Instant?

    public init(collection: FeatureCollection, limit: Int) {
        self.collection = collection
        self.limit = limit
    }

    func checkDeadline() throws {
        if let deadline, ContinuousClock.now > deadline { throw StoreError.deadlinePassed }
    }
}

/// One encoded page: the features as GeoJSON Feature objects joined by commas (to be put inside a
/// FeatureCollection's `features` array), the counts and where the neighbouring pages start.
public struct FeaturePage: Sendable {
    public var features: [UInt8]
    public var numberMatched: Int
    public var numberReturned: Int
    /// Offset of the next page; nil on the last page.
    public var nextOffset: Int?
    /// Offset of the previous page; nil on the first.
    public var previousOffset: Int?
    /// SQLite's data version the page was read at, when known: pages of one version come from one snapshot.
    public var dataVersion: Int64?
}

/// The feature query engine a front end calls: typed query in, encoded page out. The store's implementation
/// (`FeatureReader`) keeps encoded features between calls and drops them whenever any connection commits.
public protocol FeatureSource: Sendable {
    func page(_ query: FeatureQuery) throws -> FeaturePage
    /// One feature as a GeoJSON Feature object, or nil when the collection has none with this id.
    func feature(in collection: FeatureCollection, id: Int64, crs: CoordinateReferenceSystem) throws -> [UInt8]?
    /// The bounding box of the collection's geometries in WGS84, nil when it is empty.
    func extent(of collection: FeatureCollection) throws -> BoundingBox?
    /// SQLite's data version: changes whenever any connection commits; nil when it cannot be read.
    func dataVersion() -> Int64?
}
