"""designations, candidacies, endorsements, committees, replies, cosignatures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 04:41:33.403084
"""

from alembic import op
import sqlalchemy as sa
import forum.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('designations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('federation_id', sa.Integer(), nullable=True),
    sa.Column('candidacies_open_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('candidacy_deadline', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('debate_ends_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('vote_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('one_endorsement', sa.Boolean(), nullable=False),
    sa.Column('endorsers_public', sa.Boolean(), nullable=False),
    sa.Column('voting_url', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('candidacies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('designation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('declared', 'validated', 'refused', 'withdrawn', name='candidacy_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('statement_source', sa.Text(), nullable=False),
    sa.Column('statement_html', sa.Text(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('photo_attachment_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['designation_id'], ['designations.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['photo_attachment_id'], ['attachments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('designation_id', 'member_id', name='uq_candidacies_designation_member')
    )
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidacies_designation_id'), ['designation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidacies_member_id'), ['member_id'], unique=False)

    op.create_table('candidacy_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidacy_id', 'number', name='uq_candidacy_revisions_number')
    )
    op.create_table('committees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('federation_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacies.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidacy_id', 'federation_id', name='uq_committees_candidacy_federation')
    )
    op.create_table('endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('designation_id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacies.id'], ),
    sa.ForeignKeyConstraint(['designation_id'], ['designations.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endorsements_candidacy_id'), ['candidacy_id'], unique=False)
        batch_op.create_index('ix_endorsements_designation_member', ['designation_id', 'member_id'], unique=False)

    op.create_table('committee_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('committee_id', 'member_id', name='uq_committee_members')
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_committee_id'), ['committee_id'], unique=False)

    op.create_table('cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_revision', sa.Integer(), nullable=True),
    sa.Column('signed_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'member_id', name='uq_cosignatures_post_member')
    )
    with op.batch_alter_table('cosignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cosignatures_post_id'), ['post_id'], unique=False)

    op.create_table('quote_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('quote_text', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quote_id')
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('designation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_categories_designation_id', 'designations', ['designation_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_constraint('fk_categories_designation_id', type_='foreignkey')
        batch_op.drop_column('designation_id')

    op.drop_table('quote_replies')
    with op.batch_alter_table('cosignatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cosignatures_post_id'))

    op.drop_table('cosignatures')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_committee_id'))

    op.drop_table('meetings')
    op.drop_table('committee_members')
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.drop_index('ix_endorsements_designation_member')
        batch_op.drop_index(batch_op.f('ix_endorsements_candidacy_id'))

    op.drop_table('endorsements')
    op.drop_table('committees')
    op.drop_table('candidacy_revisions')
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidacies_member_id'))
        batch_op.drop_index(batch_op.f('ix_candidacies_designation_id'))

    op.drop_table('candidacies')
    op.drop_table('designations')
