import GridModel

/// Where small features go when a tile cannot draw them one by one: square cells of `cellUnits` tile units, by zoom
/// (`cellPixels`: 4 pixels of a 512-pixel tile from zoom 13 on, 128 × 128 cells a tile; 16 pixels below, 32 × 32
/// cells, where a city's tiles would otherwise carry tens of thousands of them). A position belongs to exactly one
/// tile at each zoom (the one whose column and row are the floor of its world position times 2^z) and to one cell of
/// that tile, so whatever is summed per cell is summed once per zoom across all tiles.
public struct TileCells: Sendable {
    public let tile: TileAddress
    public let extent: Int
    /// The side of a cell in tile units (8 a pixel, as at the default extent of 4096).
    public let cellUnits: Int

    public init(tile: TileAddress, extent: Int = TileGeometry.defaultExtent) {
        self.tile = tile
        self.extent = extent
        cellUnits = 8 * Self.cellPixels(z: tile.z)
    }

    /// The side of a cell in pixels of a 512-pixel tile at zoom z: 4 from zoom 13 on, 16 below.
    public static func cellPixels(z: Int) -> Int { z >= fineFromZoom ? 4 : 16 }

    /// The zoom from which cells are 4 pixels; below it tiles generalise (`TileLayerSource.generalisedBelowZoom`).
    public static let fineFromZoom = 13

    public var cellsAcross: Int { max(extent / cellUnits, 1) }

    /// The tile holding a world position (x, y in [0, 1], y southwards) at zoom z; the east and south edges of the
    /// world belong to the last column and row.
    public static func tile(worldX: Double, worldY: Double, z: Int) -> (x: Int, y: Int) {
        let n = 1 << z
        return (min(max(Int((worldX * Double(n)).rounded(.down)), 0), n - 1), min(max(Int((worldY * Double(n)).rounded(.down)), 0), n - 1))
    }

    /// The cell (row-major index) of a world position inside this tile, nil when the position lies in another tile.
    public func cell(worldX: Double, worldY: Double) -> Int? {
        let (x, y) = Self.tile(worldX: worldX, worldY: worldY, z: tile.z)
        guard x == tile.x, y == tile.y else { return nil }
        let n = tile.matrixSize
        let across = cellsAcross
        let column = min(max(Int(((worldX * n - Double(tile.x)) * Double(extent)).rounded(.down)) / cellUnits, 0), across - 1)
        let row = min(max(Int(((worldY * n - Double(tile.y)) * Double(extent)).rounded(.down)) / cellUnits, 0), across - 1)
        return row * across + column
    }

    /// The cell's square in tile units, clockwise on screen (the orientation of an exterior ring in MVT 2.1).
    public func square(_ cell: Int) -> TileGeometry.Shape {
        let across = cellsAcross
        let x0 = (cell % across) * cellUnits, y0 = (cell / across) * cellUnits
        let x1 = x0 + cellUnits, y1 = y0 + cellUnits
        return .polygons([[[TilePoint(x: x0, y: y0), TilePoint(x: x1, y: y0), TilePoint(x: x1, y: y1), TilePoint(x: x0, y: y1)]]])
    }

    /// A 48-bit Morton (Z-order) key of a world position at zoom 24: every tile of zoom 0…24 is one contiguous range
    /// of keys (`keyRange`), so positions sorted by key are read tile by tile with two binary searches.
    public static func key(worldX: Double, worldY: Double) -> UInt64 {
        let (x, y) = tile(worldX: worldX, worldY: worldY, z: TileAddress.maximumZoom)
        return spread(UInt64(x)) | (spread(UInt64(y)) << 1)
    }

    /// The keys of the positions inside `tile`: `lowerBound..<upperBound`.
    public static func keyRange(_ tile: TileAddress) -> Range<UInt64> {
        let shift = UInt64(2 * (TileAddress.maximumZoom - tile.z))
        let base = spread(UInt64(tile.x)) | (spread(UInt64(tile.y)) << 1)
        return (base << shift)..<((base + 1) << shift)
    }

    /// The bits of a 24-bit value moved to the even bit positions of a 48-bit one.
    static func spread(_ value: UInt64) -> UInt64 {
        var v = value & 0xFF_FFFF
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        v = (v | (v << 2)) & 0x3333_3333_3333_3333
        v = (v | (v << 1)) & 0x5555_5555_5555_5555
        return v
    }
}
