// Positions in the caller's own array, found again by a hash and an equality the caller gives.
//
// For indexes over 100 000 names (a zip directory, a state dict's keys) built once per open:
// (hash, position) slots in one open-addressing table, so nothing is allocated or copied per
// element, and the element itself is compared only when the hashes agree. Hashes must be
// seeded (QHashSeed::globalSeed()) so that a file cannot be crafted to make its names collide.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace statelens {

class FlatPositionIndex {
public:
    static constexpr size_t npos = ~size_t(0);

    // Room for `count` positions without regrowing.
    void reserve(size_t count)
    {
        while ((count + 1) * 2 > m_slots.size())
            grow();
    }

    // The position p already recorded for which equalsAt(p) holds, and false; or `position`,
    // recorded under `hash`, and true.
    template <typename EqualsAt>
    std::pair<size_t, bool> findOrAdd(size_t hash, size_t position, EqualsAt&& equalsAt)
    {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot& slot = m_slots[i];
            if (slot.position == npos) {
                slot = Slot{hash, position};
                ++m_used;
                return {position, true};
            }
            if (slot.hash == hash && equalsAt(slot.position))
                return {slot.position, false};
        }
    }

    // The position recorded for which equalsAt(p) holds, npos when none.
    template <typename EqualsAt>
    size_t find(size_t hash, EqualsAt&& equalsAt) const
    {
        if (m_slots.empty())
            return npos;
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot& slot = m_slots[i];
            if (slot.position == npos)
                return npos;
            if (slot.hash == hash && equalsAt(slot.position))
                return slot.position;
        }
    }

    size_t size() const { return m_used; }

private:
    struct Slot {
        size_t hash = 0;
        size_t position = npos;
    };

    void grow()  // to twice the size (16 to start), keeping every slot's hash
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.empty() ? 16 : old.size() * 2, Slot{});
        const size_t mask = m_slots.size() - 1;
        for (const Slot& slot : old) {
            if (slot.position == npos)
                continue;
            size_t i = slot.hash & mask;
            while (m_slots[i].position != npos)
                i = (i + 1) & mask;
            m_slots[i] = slot;
        }
    }

    std::vector<Slot> m_slots;  // a power of two in size, at most half full
    size_t m_used = 0;
};

}  // namespace statelens
