/// A place in a descriptor file: `chains/web.yaml:7:15` (line and column count from 1).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file, as given to the loader.
    public var file: String
    /// Line, from 1.
    public var line: Int
    /// Column, from 1 (Unicode scalars).
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
