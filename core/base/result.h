// Expected failures as values: every core entry point returns Result<T>.
#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace statelens {

enum class ErrorCode {
    Io,              // the file could not be opened or mapped
    NotACheckpoint,  // the bytes are some other kind of file (LFS pointer, HTML page, text)
    Truncated,       // the file ends before a structure it promises
    Corrupt,         // a structure is inconsistent (offsets, sizes, opcodes)
    Unsupported,     // a valid file using a feature we do not read
    LimitExceeded,   // a size, depth or count beyond our safety bounds
    Cancelled,
};

struct Error {
    ErrorCode code = ErrorCode::Corrupt;
    QString message;   // a sentence for the user, without the path
    QString path;      // the file concerned (filled in by the reader entry point)
    qint64 offset = -1;  // byte offset of the problem, when known

    // "PATH: message" (the CLI prints this after "statelens-cli: ").
    QString toString() const
    {
        QString text = path.isEmpty() ? message : path + QStringLiteral(": ") + message;
        return text;
    }
};

inline Error makeError(ErrorCode code, QString message, qint64 offset = -1)
{
    Error e;
    e.code = code;
    e.message = std::move(message);
    e.offset = offset;
    return e;
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(m_data); }
    const T& value() const& { return std::get<0>(m_data); }
    T&& value() && { return std::get<0>(std::move(m_data)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }

    const Error& error() const { return std::get<1>(m_data); }
    Error& error() { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

}  // namespace statelens
