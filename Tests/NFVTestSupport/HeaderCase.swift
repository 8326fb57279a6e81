import Foundation
import NFVIO
import Testing

/// One frame of headers.pcap with scapy's description of it (headers.json).
public struct HeaderCase: CustomTestStringConvertible, Sendable {
    public let name: String
    public let bytes: [UInt8]
    public let expectation: [String: ExpectedValue]

    public var testDescription: String { name }

    public func int(_ key: String) -> Int? {
        if case .number(let value) = expectation[key] { return value }
        return nil
    }

    public func string(_ key: String) -> String? {
        if case .text(let value) = expectation[key] { return value }
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        if case .flag(let value) = expectation[key] { return value }
        return nil
    }

    public static func all() throws -> [HeaderCase] {
        let frames = try Fixtures.frames("headers.pcap")
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("headers.json")))
        let list = try JSONDecoder().decode([[String: ExpectedValue]].self, from: data)
        guard list.count == frames.count else {
            throw FixtureError("headers.json does not describe every frame of headers.pcap")
        }
        return zip(frames, list).map { frame, values in
            var name = "?"
            if case .text(let text) = values["name"] { name = text }
            return HeaderCase(name: name, bytes: frame.bytes, expectation: values)
        }
    }

    public static let good: [HeaderCase] = (try? all().filter { $0.string("drop") == "none" }) ?? []
    public static let malformed: [HeaderCase] = (try? all().filter { $0.string("drop") != "none" }) ?? []
}

public enum ExpectedValue: Sendable, Decodable {
    case number(Int)
    case text(String)
    case flag(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
