"""One module per company style; each exposes ``<style>_style(company, n_services) -> description``,
filling the company with ``n_services`` product services (and the truth) in that style's ways."""
