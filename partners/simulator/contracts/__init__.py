"""The simulated contracts, one per partner, listed explicitly like the adapters."""

from django.utils.module_loading import import_string

CONTRACTS: dict[str, str] = {
    "hsi": "partners.simulator.contracts.hsi.HsiContract",
    "certiport": "partners.simulator.contracts.certiport.CertiportContract",
    "careersafe": "partners.simulator.contracts.careersafe.CareerSafeContract",
    "milady": "partners.simulator.contracts.milady.MiladyContract",
    "jri": "partners.simulator.contracts.jri.JriContract",
    "nrf": "partners.simulator.contracts.nrf.NrfContract",
    "nds": "partners.simulator.contracts.nds.NdsContract",
}


def contract_for(slug: str):
    path = CONTRACTS.get(slug)
    return import_string(path)() if path else None
