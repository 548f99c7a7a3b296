// A pickle's memo, as the restricted machine and the weights_only emulator both keep it: keys
// are almost always 0, 1, 2, ... (a dense vector: a hash map cost 10% of opening a 100 000-tensor
// file); keys far beyond the entries stored go to a map, so a hostile pickle cannot make the
// vector grow faster than the memo itself.
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace statelens {

// `kEmpty` marks a dense slot with nothing stored (never a value the memo holds).
template <typename T, T kEmpty>
class MemoTable {
public:
    T* find(quint64 key)
    {
        if (key < m_dense.size())
            return m_dense[size_t(key)] != kEmpty ? &m_dense[size_t(key)] : nullptr;
        const auto it = m_sparse.find(key);
        return it == m_sparse.end() ? nullptr : &it->second;
    }
    // Stores VALUE under KEY, which find() does not have.
    void add(quint64 key, T value)
    {
        ++m_count;
        const quint64 denseLimit = quint64(m_count) * 2 + 1024;
        if (key < m_dense.size() || key < denseLimit) {
            if (key >= m_dense.size())
                m_dense.resize(size_t(std::min<quint64>(std::max<quint64>(key + 1, m_dense.size() * 2), denseLimit)), kEmpty);
            m_dense[size_t(key)] = value;
            return;
        }
        m_sparse.emplace(key, value);
    }
    qint64 size() const { return m_count; }  // entries stored

private:
    std::vector<T> m_dense;
    std::unordered_map<quint64, T> m_sparse;
    qint64 m_count = 0;
};

}  // namespace statelens
