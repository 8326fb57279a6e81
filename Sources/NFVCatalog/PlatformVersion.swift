/// The platform's version, as `--version` prints it for every executable (and the API's
/// document names its own version separately).
public enum PlatformVersion {
    public static let current = "0.5.0"
}
